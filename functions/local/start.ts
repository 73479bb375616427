/**
 * `npm start`: the whole API on this machine. An embedded PostgreSQL (PGlite) keeps its data under
 * `.local/pgdata` unless DATABASE_URL names a server; migrations and demo data are applied, and
 * the same Lambda handlers answer at http://localhost:3000 (PORT and HOST to change). Email links
 * use that address unless APP_BASE_URL is set.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { createSql } from '../core/db';
import { connectionFailure } from '../core/dbUrl';
import { migrate } from '../../sql/migrator';
import { loadDevSecrets } from './devSecrets';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embeddedPostgres';

const root = join(__dirname, '..', '..');
/** Local state: data directory, development secrets, emails. */
const local = resolve(process.env.EATSENTIAL_LOCAL_DIR ?? join(root, '.local'));

/** How to reach a server bound to `host`: loopback and any-address binds as `localhost`. */
function urlOf(host: string, port: number): string {
  const name = ['', '127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host)
    ? 'localhost'
    : host.includes(':')
      ? `[${host}]`
      : host;
  return `http://${name}:${port}`;
}

async function main() {
  const secrets = loadDevSecrets(join(local, 'secrets.json'));
  process.env.JWT_SECRET ??= secrets.jwt;
  process.env.NOTE_KEYRING ??= JSON.stringify(secrets.noteKeyring);
  process.env.MAIL_DIR ??= join(local, 'mail');
  process.env.DB_POOL_MAX ??= '4';

  // Exports go to an S3-compatible server on loopback (s3rver, data under .local/s3) unless a
  // bucket is named; download links point at it.
  let bucket: { close(): Promise<unknown> } | undefined;
  if (!process.env.BACKUP_BUCKET) {
    const { startLocalBucket } = await import('./bucket');
    const exportsBucket = await startLocalBucket(join(local, 's3'), Number(process.env.S3_PORT ?? 0));
    process.env.BACKUP_BUCKET = exportsBucket.bucket;
    process.env.S3_ENDPOINT = exportsBucket.endpoint;
    bucket = exportsBucket;
    console.log(
      `exports bucket ${exportsBucket.bucket} at ${exportsBucket.endpoint} (s3rver, data in ${join(local, 's3')})`,
    );
  }

  let embedded: EmbeddedPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dataDir: join(local, 'pgdata') });
    process.env.DATABASE_URL = embedded.url;
    console.log(`embedded PostgreSQL (PGlite) with data in ${join(local, 'pgdata')}`);
  }
  const url = process.env.DATABASE_URL;

  const setup = createSql({ url }, { applicationName: 'eatsential-start' });
  try {
    await setup`select 1`.catch((e: unknown) => {
      throw new Error(connectionFailure(url, e));
    });
    const applied = await migrate(setup, { log: (line) => console.log(line) });
    console.log(applied.length ? `${applied.length} migration(s) applied` : 'database schema up to date');
    const seedDir = join(root, 'sql', 'seed');
    if (existsSync(seedDir)) {
      for (const f of readdirSync(seedDir)
        .filter((n) => n.endsWith('.sql'))
        .sort()) {
        await setup.begin((tx) => tx.unsafe(readFileSync(join(seedDir, f), 'utf8')));
        console.log(`loaded demo data ${f}`);
      }
    }
    // Demo catalogue files (JSON Lines, README "Catalogue import"), through the import itself, when
    // the schema was just created or upgraded (a restart of an up-to-date database skips it).
    const dataDir = join(root, 'data');
    if (applied.length > 0 && existsSync(dataDir)) {
      const { importCatalogue } = await import('../catalogue/import');
      const { transaction } = await import('../core/db');
      for (const f of readdirSync(dataDir)
        .filter((n) => n.endsWith('.jsonl'))
        .sort()) {
        const report = await transaction(setup, { role: 'eatsential_admin' }, (tx) =>
          importCatalogue(tx, readFileSync(join(dataDir, f), 'utf8')),
        );
        console.log(
          report.imported
            ? `imported demo catalogue ${f}`
            : `demo catalogue ${f} not imported: it has bad lines`,
        );
      }
    }
  } finally {
    await setup.end();
  }

  // Handlers read configuration when first loaded, so import them only now.
  const { createApiServer } = await import('./server');
  const { resetDatabase } = await import('../core/db');
  const server = createApiServer();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  server.listen(port, host, () => {
    const { port: bound } = server.address() as AddressInfo;
    const url = urlOf(host, bound);
    // Email links name the app's pages; with no app running locally, they at least name this server.
    process.env.APP_BASE_URL ??= url;
    console.log(`Eatsential API listening on ${url} (reference at ${url}/docs, OpenAPI at /openapi.json)`);
    if (host === '0.0.0.0' || host === '::') {
      const lan = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
        .map((a) => `http://${a?.address}:${bound}`);
      if (lan.length) console.log(`from other devices on this network: ${lan.join(', ')}`);
    }
    console.log(
      `emails are .eml files in ${process.env.MAIL_DIR}; their links are pages of the app, not of this API: ` +
        'POST the token to /auth/verify-email or /auth/password-reset/confirm',
    );
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    server.close();
    server.closeAllConnections();
    await server.stopMail();
    await resetDatabase();
    await embedded?.stop();
    await bucket?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // A process manager may signal `npm` alone, which passes the signal to the shell running this
  // script, not to this process: once the parent is gone this process is re-parented, so stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('parent exited');
  }, 500).unref();
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
