import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql, type Sql } from '../../functions/core/db';
import { repoRoot, templateEnv } from './template';

export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  /** Connection URL of this file's private database. */
  readonly url: string;
  /** A client connected as the owner (superuser), for arranging and inspecting rows. */
  readonly sql: Sql;
  /** Another client to the same database, closed with the file. */
  connect(options?: { max?: number }): Sql;
}

/**
 * Gives the calling test file a fresh database cloned from the migrated template, so files never
 * see each other's rows and can run in parallel. Registers its own beforeAll/afterAll.
 */
export function useTestDatabase(options: { empty?: boolean } = {}): TestDatabase {
  let url = '';
  let drop: (() => Promise<void>) | undefined;
  const clients: Sql[] = [];
  const connect = (options: { max?: number } = {}) => {
    const sql = createSql({ url }, { max: options.max ?? 1, applicationName: 'eatsential-test' });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    const template = options.empty ? null : process.env[templateEnv];
    if (template === undefined)
      throw new Error('the test template is missing: run tests through jest (globalSetup)');
    ({ url, drop } = onPostgres ? await clonePostgres(template ?? 'template0') : await startPglite(template));
    connect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    await drop?.();
  });

  return {
    get url() {
      return url;
    },
    get sql() {
      const first = clients[0];
      if (!first) throw new Error('useTestDatabase(): the database is ready only inside tests and hooks');
      return first;
    },
    connect,
  };
}

async function clonePostgres(template: string) {
  const base = process.env.DATABASE_URL as string;
  const name = `eatsential_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name} template ${template}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** An embedded PostgreSQL (PGlite) in a child process, from the template or empty. */
export async function startPglite(template: string | null) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'functions', 'local', 'pgliteServer.ts'),
      ...(template ? [template] : []),
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`embedded postgres exited with code ${code}`)));
  });
  return {
    url,
    drop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
