/**
 * `npm run bench:lifecycle`: rows per second of purge-deleted-accounts, anonymise-wellness and
 * backup-export on generated data, in a scratch database on the PostgreSQL of DATABASE_URL, with
 * the export beside a plain `COPY ... TO STDOUT` of the same tables. The export goes to s3rver on
 * loopback. Prints figures; never fails on them. BENCH_ROWS sets the rows per table (20000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import postgres from 'postgres';
import S3rver from 's3rver';
import { createSql } from '../functions/core/db';
import { exportTarget } from '../functions/core/s3';
import { run as anonymise } from '../functions/jobs/anonymise/handler';
import { exportedTables, run as backup } from '../functions/jobs/backup/handler';
import { ident, qualified } from '../functions/jobs/backup/copy';
import { run as purge } from '../functions/jobs/purge/handler';
import { migrate } from '../sql/migrator';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'SILENT';
const rows = Number(process.env.BENCH_ROWS ?? 20000);

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `eatsential_bench_lifecycle_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.toString() }, { max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-bench-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  try {
    await migrate(sql);
    const { port } = await server.run();
    const target = exportTarget({
      BACKUP_BUCKET: 'eatsential-bench',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    await target.client.send(new CreateBucketCommand({ Bucket: 'eatsential-bench' }));

    const [user] = await sql<{ id: string }[]>`
      insert into public.users (username, email, password_hash) values ('bench_one', 'one@example.com', 'x') returning id`;
    const [other] = await sql<{ id: string }[]>`
      insert into public.users (username, email, password_hash) values ('bench_two', 'two@example.com', 'x') returning id`;
    for (const u of [user!.id, other!.id]) {
      await sql`insert into public.user_consents (user_id, consent_type, policy_version) values (${u}, 'mental_health_tracking', '2026-11')`;
      await sql`insert into health.mood_logs (user_id, mood_score, mood_label, logged_at, created_at)
                select ${u}, 1 + i % 10, 'good', now() - (i || ' minutes')::interval - interval '3 years',
                       now() - (i || ' minutes')::interval - interval '3 years'
                from generate_series(1, ${rows}) i`;
      await sql`insert into audit.access_logs (user_id, ip_address, endpoint, method, status_code)
                select ${u}, '192.0.2.1', '/me', 'GET', 200 from generate_series(1, ${rows}) i`;
    }
    await sql`vacuum analyze`;

    let t = performance.now();
    const exported = await backup({ sql, target });
    const exportSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    let plainRows = 0;
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      for (const table of await exportedTables(tx)) {
        const stream = (await tx
          .unsafe(
            `copy (select ${table.columns.map(ident).join(', ')} from ${qualified(table.table)}) to stdout`,
          )
          .readable()) as Readable;
        await new Promise<void>((resolve, reject) => {
          stream.on('data', (c: Buffer) => {
            for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) plainRows++;
          });
          stream.once('end', resolve);
          stream.once('error', reject);
        });
      }
    });
    const plainSeconds = (performance.now() - t) / 1000;

    await sql`update public.users set deleted_at = now(), is_active = false where id = ${user!.id}`;
    t = performance.now();
    const purged = await purge({ sql });
    const purgeSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const anonymised = await anonymise({ sql, days: 730 });
    const anonymiseSeconds = (performance.now() - t) / 1000;

    const line = (what: string, n: number, s: number) =>
      console.log(
        `${what.padEnd(34)} ${String(n).padStart(8)} rows  ${s.toFixed(2).padStart(7)} s  ${Math.round(n / s)
          .toString()
          .padStart(7)} rows/s`,
      );
    console.log(`lifecycle jobs on ${rows} rows per table and person (PostgreSQL, s3rver on loopback)`);
    line('backup-export (COPY, gzip, S3)', exported.rows, exportSeconds);
    line('plain COPY TO STDOUT, same tables', plainRows, plainSeconds);
    line('purge-deleted-accounts', purged.rows, purgeSeconds);
    line('anonymise-wellness', anonymised.rows, anonymiseSeconds);
    console.log(`batches: purge 1000 rows, anonymise 500 rows per transaction`);
  } finally {
    await sql.end({ timeout: 5 });
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
