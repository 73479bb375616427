import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createSql } from '../../functions/core/db';
import { migrate } from '../../sql/migrator';
import { templateEnv } from './template';

const run = promisify(execFile);

/** Where Debian puts PostgreSQL 15's server programs (PG_BIN overrides). */
export const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Whether this machine can start a private PostgreSQL 15 cluster (and pgbouncer). */
export const canStartCluster = existsSync(join(pgBin, 'initdb'));
export const pgbouncerPath = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** initdb and pg_ctl refuse to run as root: as root (CI), they run as the `postgres` OS user. */
const asOwner = (cmd: string, args: string[]) =>
  process.getuid?.() === 0
    ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 120_000 })
    : run(cmd, args, { timeout: 120_000 });

const postgresUid = async () => {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
};

export interface Cluster {
  /** Superuser URL of the cluster's `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server as a crash would (immediate: no checkpoint, WAL replayed at start) and starts it again. */
  crashRestart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private PostgreSQL 15 cluster: initdb into a temporary folder, started on a free port with its
 * socket in that folder. The machine's shared server is never touched.
 */
export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUid();
    chownSync(dir, uid, gid);
  }
  await asOwner(join(pgBin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');
  const start = () =>
    asOwner(join(pgBin, 'pg_ctl'), [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const stopNow = (mode: 'immediate' | 'fast') =>
    asOwner(join(pgBin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async crashRestart(downMs = 1000) {
      await stopNow('immediate');
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await stopNow('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Migrates a template database on the cluster under the name the test files clone from
 * (`useTestDatabase`), so a file pointed at this cluster gets its own migrated copy as usual.
 */
export async function migrateTemplate(url: string): Promise<void> {
  const name = process.env[templateEnv];
  if (!name) throw new Error('the test template is missing: run tests through jest (globalSetup)');
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const sql = createSql({ url: target.toString() });
    try {
      await migrate(sql);
    } finally {
      await sql.end();
    }
    await admin.unsafe(`alter database ${name} with is_template true`);
  } finally {
    await admin.end();
  }
}

export interface Bouncer {
  /** URL through pgbouncer, transaction pooling: like RDS Proxy, no session outlives a transaction. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Our own pgbouncer on a free port in transaction mode, in front of `cluster`, with a generated config. */
export async function startPgbouncer(cluster: Cluster): Promise<Bouncer> {
  if (!pgbouncerPath) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-pgbouncer-'));
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${cluster.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 200',
      'default_pool_size = 3',
      // postgres.js sends these at connect; pgbouncer passes them on instead of refusing the client.
      'ignore_startup_parameters = extra_float_digits,options',
      'server_reset_query =',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUid();
    for (const f of [dir, ini, join(dir, 'users.txt')]) chownSync(f, uid, gid);
  }
  // -d: pgbouncer forks into the background once it listens, and writes its pid file.
  await asOwner(pgbouncerPath, ['-d', ini]);
  // The daemon may still be binding its port when the command returns: wait until it accepts.
  const { connect } = await import('node:net');
  for (let i = 0; ; i += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error(`pgbouncer did not listen on ${port}; see ${join(dir, 'pgbouncer.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      const { readFileSync } = await import('node:fs');
      try {
        process.kill(Number(readFileSync(join(dir, 'pgbouncer.pid'), 'utf8').trim()), 'SIGINT');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
