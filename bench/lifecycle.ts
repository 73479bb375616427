/**
 * `npm run bench:lifecycle`: the data-lifecycle jobs at scale, on a copy of the generated data of
 * DATABASE_URL (`npm run bench:data -- --scale 0.1` first; the copy is dropped afterwards, so the
 * jobs change nothing there): backup-export beside a plain `COPY ... TO STDOUT` of the same tables
 * in one snapshot, purge-deleted-accounts (the 1 % of accounts the generator deleted) and
 * anonymise-wellness (BENCH_HORIZON_DAYS, 180 by default, so that there is something to move).
 * For each: rows per second, and the longest a transaction of the job held a lock, by mode
 * (pg_locks sampled every 20 ms: a lock is held until its transaction ends). For the largest table,
 * where the export's time goes: COPY alone, and COPY into gzip as the export wrote it before and now. The export goes to
 * s3rver on loopback, in a process of its own: in production S3 is not in the job's process, and
 * s3rver in the bench's would put the server's work (HTTP, MD5, files) on the job's one thread.
 * Prints figures; never fails on them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import postgres from 'postgres';
import { createSql, type Sql } from '../functions/core/db';
import { exportTarget } from '../functions/core/s3';
import { run as anonymise } from '../functions/jobs/anonymise/handler';
import { gzipLevel, gzipWriteBytes, ident, qualified } from '../functions/jobs/backup/copy';
import { exportedTables, run as backup } from '../functions/jobs/backup/handler';
import { run as purge } from '../functions/jobs/purge/handler';
import { migrate } from '../sql/migrator';
import { generate } from './data';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'SILENT';
const horizonDays = Number(process.env.BENCH_HORIZON_DAYS ?? 180);
const jobApplication = 'eatsential-bench-job';

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set (the database npm run bench:data filled)');
  const source = decodeURIComponent(new URL(base).pathname.slice(1));
  const name = `${source.slice(0, 30)}_lifecycle_${randomBytes(3).toString('hex')}`;
  const server = new URL(base);
  server.pathname = '/postgres';
  const admin = postgres(server.toString(), { max: 1, onnotice: () => undefined });
  const probe = createSql({ url: base }, { max: 1 });
  const generated = await probe`select 1 from public.users where username like 'daily\\_%' limit 1`.then(
    (r) => r.length > 0,
    () => false,
  );
  await probe.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  let t = performance.now();
  if (generated) {
    await admin.unsafe(`create database ${ident(name)} template ${ident(source)}`);
    console.log(`copied ${source} to ${name} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } else {
    await admin.unsafe(`create database ${ident(name)}`);
    console.log(`${source} holds no generated data (npm run bench:data): generating scale 0.01 in ${name}`);
  }
  const sql = createSql({ url: url.toString() }, { max: 2, applicationName: jobApplication });
  const sampler = createSql({ url: url.toString() }, { max: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-bench-s3-'));
  const s3 = s3rverProcess(dir);
  try {
    await migrate(sql);
    if (!generated) await generate(sql, { scale: 0.01 });
    const port = await s3.port;
    const target = await exportTarget({
      BACKUP_BUCKET: 'eatsential-bench',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    await target.client.send(new CreateBucketCommand({ Bucket: 'eatsential-bench' }));
    const [size] = await sql<
      { size: string }[]
    >`select pg_size_pretty(pg_database_size(current_database())) as size`;
    console.log(`database ${size?.size}; gzip level ${gzipLevel}; s3rver on loopback in its own process`);

    await stages(sql);

    const line = (what: string, n: number, s: number, locks?: Locks) =>
      console.log(
        `${what.padEnd(34)} ${String(n).padStart(9)} rows ${s.toFixed(1).padStart(7)} s ${Math.round(n / s)
          .toString()
          .padStart(8)} rows/s${locks ? `  longest lock: ${describeLocks(locks)}` : ''}`,
      );

    t = performance.now();
    let plainRows = 0;
    let plainBytes = 0;
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      for (const table of await exportedTables(tx)) {
        const stream = (await tx
          .unsafe(
            `copy (select ${table.columns.map(ident).join(', ')} from ${qualified(table.table)}) to stdout`,
          )
          .readable()) as Readable;
        await new Promise<void>((resolve, reject) => {
          stream.on('data', (c: Buffer) => {
            plainBytes += c.length;
            for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) plainRows++;
          });
          stream.once('end', resolve);
          stream.once('error', reject);
        });
      }
    });
    const plainSeconds = (performance.now() - t) / 1000;

    let locks = sampleLocks(sampler);
    t = performance.now();
    const exported = await backup({ sql, target });
    const exportSeconds = (performance.now() - t) / 1000;
    const exportLocks = await locks.stop();

    locks = sampleLocks(sampler);
    t = performance.now();
    const purged = await purge({ sql });
    const purgeSeconds = (performance.now() - t) / 1000;
    const purgeLocks = await locks.stop();

    locks = sampleLocks(sampler);
    t = performance.now();
    const anonymised = await anonymise({ sql, days: horizonDays });
    const anonymiseSeconds = (performance.now() - t) / 1000;
    const anonymiseLocks = await locks.stop();

    console.log('');
    line('plain COPY TO STDOUT, same tables', plainRows, plainSeconds);
    line('backup-export (COPY, gzip, S3)', exported.rows, exportSeconds, exportLocks);
    console.log(
      `  ${(plainBytes / 1e6).toFixed(0)} MB of COPY text, ${(exported.bytes / 1e6).toFixed(0)} MB stored; export throughput ${((100 * exported.rows) / exportSeconds / (plainRows / plainSeconds)).toFixed(0)} % of the plain COPY (goal: at least 70 %)`,
    );
    line('purge-deleted-accounts', purged.rows, purgeSeconds, purgeLocks);
    line(`anonymise-wellness (${horizonDays} days)`, anonymised.rows, anonymiseSeconds, anonymiseLocks);
    console.log('(machine shared with other work: figures vary from run to run)');
  } finally {
    await sql.end({ timeout: 5 });
    await sampler.end({ timeout: 5 });
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${ident(name)} with (force)`);
    await admin.end();
  }
}

/** Per lock mode: the longest a job's transaction was seen holding it, and on how many relations. */
type Locks = Map<string, { seconds: number; relations: number }>;

const describeLocks = (locks: Locks) =>
  [...locks]
    .sort((a, b) => b[1].seconds - a[1].seconds)
    .slice(0, 2)
    .map(([mode, l]) => `${mode} ${l.seconds.toFixed(2)} s (${l.relations} relations)`)
    .join(', ') || 'none seen';

/** Samples pg_locks every 20 ms for the job's connections until stopped. */
function sampleLocks(sampler: Sql) {
  const locks: Locks = new Map();
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sampler<{ mode: string; relations: number; held: number }[]>`
        select l.mode, count(*)::int as relations, extract(epoch from clock_timestamp() - a.xact_start)::float8 as held
        from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where a.datname = current_database() and a.application_name = ${jobApplication}
          and l.granted and l.locktype = 'relation' and a.xact_start is not null
        group by a.pid, l.mode, a.xact_start`;
      for (const r of rows) {
        const seen = locks.get(r.mode);
        if (!seen || r.held > seen.seconds)
          locks.set(r.mode, { seconds: r.held, relations: Math.max(r.relations, seen?.relations ?? 0) });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return locks;
    },
  };
}

/** Where the export's time goes, on the largest exported table. */
async function stages(sql: Sql) {
  const [largest] = await sql<{ table: string }[]>`
    select format('%s.%s', n.nspname, c.relname) as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'health', 'auth') and c.relkind = 'r' order by pg_table_size(c.oid) desc limit 1`;
  const table = largest!.table;
  const columns = (await exportedTables(sql)).find((t) => t.table === table)!.columns;
  const sample = 300_000;
  const statement = `copy (select ${columns.map(ident).join(', ')} from ${qualified(table)} limit ${sample}) to stdout`;
  const timed = async (what: string, textBytes: number | null, fn: () => Promise<number>) => {
    const t = performance.now();
    const bytes = textBytes ?? (await fn());
    if (textBytes !== null) await fn();
    const s = (performance.now() - t) / 1000;
    console.log(
      `  ${what.padEnd(52)} ${s.toFixed(2).padStart(6)} s  ${(bytes / 1e6 / s).toFixed(0).padStart(5)} MB/s of COPY text`,
    );
    return bytes;
  };
  /** COPY into gzip at `level`, written as COPY hands the rows over, or gathered into `batch` bytes. */
  const copyThrough = (level: number | null, batch = 0) =>
    sql.begin(async (tx) => {
      const source = (await tx.unsafe(statement).readable()) as Readable;
      let bytes = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const gzip = level === null ? null : createGzip({ level });
      gzip?.resume();
      const flush = () => {
        if (pendingBytes) gzip?.write(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      await new Promise<void>((resolve, reject) => {
        source.on('data', (c: Buffer) => {
          bytes += c.length;
          if (!gzip) return;
          pending.push(c);
          pendingBytes += c.length;
          if (pendingBytes >= batch) flush();
        });
        source.once('error', reject);
        if (gzip) {
          source.once('end', () => (flush(), gzip.end()));
          gzip.once('end', resolve);
        } else source.once('end', resolve);
      });
      return bytes;
    });
  console.log(`where the export's time goes, on ${sample} rows of its largest table, ${table}:`);
  await copyThrough(null); // warm the cache: every stage then reads the rows from memory
  const text = await timed('COPY alone', null, () => copyThrough(null));
  await timed('COPY + gzip level 6, a write per COPY message', text, () => copyThrough(6));
  await timed('COPY + gzip level 6, 1 MiB writes', text, () => copyThrough(6, gzipWriteBytes));
  await timed('COPY + gzip level 1, 1 MiB writes', text, () => copyThrough(1, gzipWriteBytes));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/** s3rver in a child process, keeping its objects in `dir`: its port, and how to stop it. */
function s3rverProcess(dir: string): { port: Promise<number>; stop: () => Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const S3rver = require('s3rver');
       new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[1] })
         .run().then(({ port }) => process.stdout.write(port + '\\n'));`,
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  port.catch(() => undefined);
  return {
    port,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
