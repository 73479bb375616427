import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Sql } from '../../functions/core/db';
import { exportTarget } from '../../functions/core/s3';
import { copyToObject, dumpToFile } from '../../functions/jobs/backup/copy';
import { run as exportBackup, exportedTables } from '../../functions/jobs/backup/handler';
import type { Manifest } from '../../functions/jobs/backup/handler';
import { parseManifestUri, restore } from '../../functions/jobs/backup/restore';
import { run as purge } from '../../functions/jobs/purge/handler';
import { onPostgres, useTestDatabase } from '../support';
import { useTestBucket } from '../support/s3';
import { fillPerson, rowsOf } from './people';

// COPY ... TO STDOUT / FROM STDIN over the wire and one REPEATABLE READ snapshot work on both
// backends (PGlite answers COPY over its socket like PostgreSQL), so every test runs on both.
// Loading an export back (npm run db:restore: migrate, session_replication_role = replica, COPY
// FROM STDIN in one transaction) loses its connection to PGlite's socket server, so the two tests
// that restore a whole export run on PostgreSQL only, where restores happen (an operator's tool);
// the checks made before anything changes run on both.
// Each empty PGlite database is a fresh embedded server: starting three takes a while.
jest.setTimeout(240_000);

/** Every table's rows, in a stable order, as text: equal digests mean equal contents. */
async function digests(sql: Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await exportedTables(sql)) {
    const cols = t.columns.map((c) => `"${c}"`).join(', ');
    const [r] = await sql.unsafe<{ d: string }[]>(
      `select md5(coalesce(string_agg(x::text, E'\\n' order by x::text), '')) as d from (select ${cols} from ${t.table
        .split('.')
        .map((p) => `"${p}"`)
        .join('.')}) x`,
    );
    out[t.table] = r!.d;
  }
  return out;
}

describe('backup-export and npm run db:restore', () => {
  const source = useTestDatabase();
  const empty = useTestDatabase({ empty: true });
  const again = useTestDatabase({ empty: true });
  const bucket = useTestBucket();

  const manifestOf = async (uri: string) => {
    const { bucket: b, key } = parseManifestUri(uri);
    const out = await bucket.target.client.send(new GetObjectCommand({ Bucket: b, Key: key }));
    return { key, manifest: JSON.parse(await out.Body!.transformToString()) as Manifest };
  };

  let first = '';
  let person = '';

  it('exports every table from one snapshot, with row counts and checksums', async () => {
    person = (await fillPerson(source.sql)).id;
    await fillPerson(source.sql);
    const report = await exportBackup({
      sql: source.sql,
      target: bucket.target,
      now: new Date('2026-12-01T03:30:00Z'),
    });
    first = report.manifest;
    const { manifest } = await manifestOf(first);
    expect(manifest.files.map((f) => f.table)).toEqual(
      (await exportedTables(source.sql)).map((t) => t.table),
    );
    // Every table of the application is in the export: one in a schema the backup does not read fails here.
    const all = await source.sql<{ t: string }[]>`
      select n.nspname || '.' || c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition
        and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relname <> 'schema_migrations'`;
    expect(manifest.files.map((f) => f.table).sort()).toEqual(all.map((r) => r.t).sort());
    const users = manifest.files.find((f) => f.table === 'public.users')!;
    expect(users.rows).toBe(2);
    expect(users.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.rows).toBe(manifest.files.reduce((n, f) => n + f.rows, 0));
  });

  it('stops before changing anything when a file does not match its checksum, naming it', async () => {
    const { key, manifest } = await manifestOf(first);
    const bad = {
      ...manifest,
      files: manifest.files.map((f) => (f.table === 'public.users' ? { ...f, sha256: '0'.repeat(64) } : f)),
    };
    const badKey = key.replace('manifest.json', 'tampered.json');
    await bucket.target.client.send(
      new PutObjectCommand({ Bucket: bucket.target.bucket, Key: badKey, Body: JSON.stringify(bad) }),
    );
    await expect(restore(empty.sql, bucket.target, `s3://${bucket.target.bucket}/${badKey}`)).rejects.toThrow(
      /public\.users\.copy\.gz does not match the manifest/,
    );
    const missing = {
      ...manifest,
      files: [...manifest.files, { ...manifest.files[0]!, file: 'nowhere.copy.gz' }],
    };
    const missingKey = key.replace('manifest.json', 'missing.json');
    await bucket.target.client.send(
      new PutObjectCommand({ Bucket: bucket.target.bucket, Key: missingKey, Body: JSON.stringify(missing) }),
    );
    await expect(
      restore(empty.sql, bucket.target, `s3://${bucket.target.bucket}/${missingKey}`),
    ).rejects.toThrow(/nowhere\.copy\.gz is missing/);
    const [tables] =
      await empty.sql`select count(*)::int as n from pg_class where relkind = 'r' and relnamespace <> 'pg_catalog'::regnamespace and relnamespace <> 'information_schema'::regnamespace`;
    expect(tables!.n).toBe(0);
  });

  (onPostgres ? it : it.skip)('restores into an empty database with every table identical', async () => {
    const report = await restore(empty.sql, bucket.target, first);
    expect(report).toMatchObject({ erasuresReapplied: 0 });
    expect(await digests(empty.sql)).toEqual(await digests(source.sql));
  });

  (onPostgres ? it : it.skip)('purges again an account erased after the backup was taken', async () => {
    await source.sql`update public.users set deleted_at = now(), is_active = false where id = ${person}`;
    await purge({ sql: source.sql });
    const newer = (
      await exportBackup({ sql: source.sql, target: bucket.target, now: new Date('2026-12-02T03:30:00Z') })
    ).manifest;

    const report = await restore(again.sql, bucket.target, first, { ledgers: [newer] });

    expect(report.erasuresReapplied).toBe(1);
    expect(Object.values(await rowsOf(again.sql, person)).every((n) => n === 0)).toBe(true);
    expect(
      await again.sql`select done_at is not null as done from lifecycle.erasures where account_id = ${person}`,
    ).toEqual([{ done: true }]);
  });

  it('refuses to restore into a database that is not empty', async () => {
    await expect(restore(source.sql, bucket.target, first)).rejects.toThrow(/not empty/);
  });

  it('gives the backup role reads and no writes', async () => {
    await expect(
      source.sql.begin(async (tx) => {
        await tx`set local role eatsential_job_backup`;
        await tx`delete from public.users`;
      }),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('fails whole when an upload fails while later tables are read, leaving no file behind', async () => {
    // Uploads go on while the next tables are read. A client of the same server whose uploads
    // fail from the third table on: the first two tables arrive, then the job stops, waits for the
    // uploads in flight, removes every spooled file and writes no manifest. The spool is this
    // test's own directory (other files export through the shared temporary directory).
    const spool = mkdtempSync(join(tmpdir(), 'eatsential-spool-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spool;
    const failing = await exportTarget({ BACKUP_BUCKET: bucket.target.bucket, S3_ENDPOINT: bucket.endpoint });
    // Only table files fail: a manifest written after a failure would still arrive and be seen.
    let files = 0;
    failing.client.middlewareStack.add(
      (next) => async (args) => {
        const key = String((args.input as { Key?: string }).Key ?? '');
        if (key.endsWith('.copy.gz') && ++files > 2) throw new Error('injected upload failure');
        return next(args);
      },
      { step: 'initialize', name: 'failFromTheThirdTable' },
    );
    try {
      await expect(
        exportBackup({ sql: source.sql, target: failing, now: new Date('2026-12-03T03:30:00Z') }),
      ).rejects.toThrow(/injected upload failure/);
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
      failing.client.destroy();
      rmSync(spool, { recursive: true, force: true });
    }
    const { Contents = [] } = await bucket.target.client.send(
      new ListObjectsV2Command({ Bucket: bucket.target.bucket, Prefix: 'backups/2026-12-03' }),
    );
    const keys = Contents.map((c) => c.Key ?? '');
    expect(keys).toHaveLength(2);
    expect(keys.filter((k) => k.endsWith('manifest.json'))).toEqual([]);
  });
});

describe('an export larger than one part', () => {
  const db = useTestDatabase();
  const bucket = useTestBucket('eatsential-exports-multipart');

  beforeAll(async () => {
    // About 13 MB of COPY text that gzip cannot shrink below two 5 MiB parts.
    await db.sql`
      insert into audit.access_logs (endpoint, method, status_code, user_agent)
      select '/me', 'GET', 200, (select string_agg(md5(i::text || j::text), '') from generate_series(1, 16) j)
      from generate_series(1, 25000) i`;
  });

  it('goes up as a multipart upload and comes back byte for byte', async () => {
    const out = await db.sql.begin((tx) =>
      copyToObject(tx, bucket.target, {
        table: 'audit.access_logs',
        columns: ['id', 'user_agent'],
        key: 'big/access_logs.copy.gz',
        partSize: 5 * 1024 * 1024,
      }),
    );
    expect(out.rows).toBe(25000);
    expect(out.bytes).toBeGreaterThan(5 * 1024 * 1024);
    // s3rver names the object made by CompleteMultipartUpload (POST ?uploadId) ObjectCreated:Post;
    // a single PutObject would be ObjectCreated:Put.
    expect(bucket.events).not.toContainEqual({ name: 'ObjectCreated:Put', key: 'big/access_logs.copy.gz' });
    expect(bucket.events).toContainEqual({
      name: 'ObjectCreated:Post',
      key: 'big/access_logs.copy.gz',
    });
    const got = await bucket.target.client.send(
      new GetObjectCommand({ Bucket: bucket.target.bucket, Key: 'big/access_logs.copy.gz' }),
    );
    const body = Buffer.from(await got.Body!.transformToByteArray());
    expect(createHash('sha256').update(body).digest('hex')).toBe(out.sha256);
    expect(gunzipSync(body).toString('utf8').split('\n').length - 1).toBe(25000);
  }, 300_000);

  it('stops a dump that fails part-way, removes its file, and the snapshot goes on', async () => {
    // A failure while the rows stream (a full disk; here the progress callback) ends the dump at
    // once, and the rest of the COPY is dropped: the same transaction then runs its next statement
    // instead of waiting for ever on a connection paused mid-COPY.
    const spool = mkdtempSync(join(tmpdir(), 'eatsential-spool-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spool;
    try {
      const out = await within(
        30_000,
        db.sql.begin(async (tx) => {
          let seen = 0;
          const failed = await dumpToFile(tx, {
            table: 'audit.access_logs',
            columns: ['id', 'user_agent'],
            onRows: (n) => {
              seen += n;
              if (seen > 1000) throw new Error('injected failure part-way');
            },
          }).then(
            () => 'dumped',
            (e: Error) => e.message,
          );
          const [row] = await tx<{ n: number }[]>`select count(*)::int as n from audit.access_logs`;
          return { failed, n: row?.n, left: readdirSync(spool) };
        }),
      );
      expect(out).toEqual({ failed: 'injected failure part-way', n: 25000, left: [] });
    } finally {
      process.env.TMPDIR = saved;
      rmSync(spool, { recursive: true, force: true });
    }
  });
});

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);
