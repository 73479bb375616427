import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import type { Sql, Tx } from '../../core/db';
import type { ExportTarget } from '../../core/s3';
import { loadMigrations, migrate } from '../../../sql/migrator';
import { run as purge } from '../purge/handler';
import { ident, qualified, type ManifestFile } from './copy';
import type { Manifest } from './handler';

export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** `s3://bucket/<prefix>/<name>.json` of a manifest; its files are under the same prefix. */
export function parseManifestUri(uri: string): { bucket: string; key: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/((.+\/)[^/]+\.json)$/.exec(uri);
  if (!m) throw new RestoreError(`${uri} is not s3://<bucket>/<prefix>/manifest.json`);
  return { bucket: m[1] as string, key: m[2] as string, prefix: m[3] as string };
}

async function getObject(target: ExportTarget, bucket: string, key: string): Promise<Buffer | null> {
  try {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await target.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return null;
    throw e;
  }
}

/** Reads a manifest and every file it names, verifying sizes and checksums: nothing is changed yet. */
export async function fetchExport(
  target: ExportTarget,
  uri: string,
): Promise<{ manifest: Manifest; data: Map<string, Buffer> }> {
  const { bucket, key, prefix } = parseManifestUri(uri);
  const raw = await getObject(target, bucket, key);
  if (!raw) throw new RestoreError(`the manifest ${uri} does not exist`);
  const manifest = JSON.parse(raw.toString('utf8')) as Manifest;
  if (manifest.format !== 1 || !Array.isArray(manifest.files)) {
    throw new RestoreError(`${uri} is not an export manifest of format 1`);
  }
  const data = new Map<string, Buffer>();
  for (const f of manifest.files) {
    const body = await getObject(target, bucket, prefix + f.file);
    if (!body) throw new RestoreError(`${f.file} is missing from the export: nothing was restored`);
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (body.length !== f.bytes || sha256 !== f.sha256) {
      throw new RestoreError(
        `${f.file} does not match the manifest (sha256 ${sha256.slice(0, 12)}, manifest ${String(f.sha256).slice(0, 12)}): nothing was restored`,
      );
    }
    data.set(f.file, body);
  }
  return { manifest, data };
}

async function assertEmpty(sql: Sql): Promise<void> {
  const [row] = await sql<{ tables: number }[]>`
    select count(*)::int as tables from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`;
  if ((row?.tables ?? 0) > 0) {
    throw new RestoreError('the target database is not empty: a restore loads into an empty database only');
  }
}

export interface RestoreReport {
  readonly tables: number;
  readonly rows: number;
  /** Erasures re-applied after loading: accounts the backup still held and the ledger says were erased. */
  readonly erasuresReapplied: number;
}

/**
 * Restores an export into an empty database: verifies every file (before changing anything),
 * migrates to the export's schema, loads every table with COPY in one transaction (triggers and
 * foreign-key checks deferred by session_replication_role = replica: it needs a superuser, which
 * an operator restoring is), checks every table's row count, then re-applies the erasure ledger
 * (the export's own and that of any newer export given), so no erased account comes back.
 */
export async function restore(
  sql: Sql,
  target: ExportTarget,
  uri: string,
  options: { ledgers?: readonly string[]; log?: (line: string) => void } = {},
): Promise<RestoreReport> {
  const log = options.log ?? (() => undefined);
  const { manifest, data } = await fetchExport(target, uri);
  const ledgers = [];
  for (const other of options.ledgers ?? []) ledgers.push(await fetchExport(target, other));
  const known = new Set((await loadMigrations()).map((m) => m.version));
  const unknown = manifest.migrations.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new RestoreError(`the export was made with migrations this release lacks: ${unknown.join(', ')}`);
  }
  await assertEmpty(sql);
  const last = manifest.migrations[manifest.migrations.length - 1];
  await migrate(sql, { to: last, log });

  let rows = 0;
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    // Migrations seed reference data; the export holds it as it was.
    await tx.unsafe(`truncate ${manifest.files.map((f) => qualified(f.table)).join(', ')}`);
    for (const f of manifest.files) {
      await load(tx, f, data.get(f.file) as Buffer);
      const [count] = await tx.unsafe<{ n: number }[]>(
        `select count(*)::int as n from ${qualified(f.table)}`,
      );
      if (count?.n !== f.rows) {
        throw new RestoreError(
          `${f.table} holds ${count?.n} rows after loading, the manifest says ${f.rows}`,
        );
      }
      rows += f.rows;
      log(`restored ${f.table}: ${f.rows} rows`);
    }
    // Identity columns go on after the highest restored value.
    await tx.unsafe(`
      do $$
      declare r record;
      begin
        for r in
          select n.nspname, c.relname, a.attname, pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) as seq
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
          where a.attidentity <> '' and c.relkind in ('r', 'p') and not c.relispartition
        loop
          execute format('select setval(%L, coalesce((select max(%I) from %I.%I), 0) + 1, false)', r.seq, r.attname, r.nspname, r.relname);
        end loop;
      end;
      $$`);
  });

  for (const other of ledgers) {
    const f = other.manifest.files.find((x) => x.table === 'lifecycle.erasures');
    if (!f) continue;
    await sql.begin(async (tx) => {
      await tx`create temporary table newer_erasures (like lifecycle.erasures) on commit drop`;
      await load(tx, { ...f, table: 'newer_erasures' }, other.data.get(f.file) as Buffer);
      await tx`insert into lifecycle.erasures select * from newer_erasures on conflict (account_id) do nothing`;
    });
  }
  const [reopened] = await sql<{ n: number }[]>`select lifecycle.reopen_erasures() as n`;
  const erasuresReapplied = reopened?.n ?? 0;
  if (erasuresReapplied > 0) {
    log(`re-applying ${erasuresReapplied} erasures from the ledger`);
    await purge({ sql });
  }
  return { tables: manifest.files.length, rows, erasuresReapplied };
}

async function load(tx: Tx, f: Pick<ManifestFile, 'table' | 'columns'>, gz: Buffer): Promise<void> {
  const target = f.table.includes('.') ? qualified(f.table) : ident(f.table);
  const writable = await tx
    .unsafe(`copy ${target} (${f.columns.map(ident).join(', ')}) from stdin`)
    .writable();
  await pipeline(Readable.from([gunzipSync(gz)]), writable);
}
