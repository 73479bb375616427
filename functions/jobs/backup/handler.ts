import { database, type Sql } from '../../core/db';
import { exportTarget, type ExportTarget } from '../../core/s3';
import { reported, type Progress } from '../report';
import { dumpToFile, putJson, type ManifestFile } from './copy';

/** Uploads that go on while the next table is read (each file is on local disk until it is in the bucket). */
export const uploadsInFlight = 2;

/** The schemas whose tables are the application's data (lifecycle.cover_tables grants on the same). */
export const dataSchemas = ['public', 'auth', 'health', 'audit', 'lifecycle'] as const;

export interface Manifest {
  readonly format: 1;
  readonly createdAt: string;
  /** pg_current_snapshot() of the one REPEATABLE READ transaction every file was read in. */
  readonly snapshot: string;
  /** Versions of public.schema_migrations: a restore migrates an empty database to the same schema. */
  readonly migrations: readonly string[];
  readonly files: readonly ManifestFile[];
}

export interface TableColumns {
  readonly table: string;
  readonly columns: string[];
}

/** Every table of the data schemas (partitioned tables whole, not their partitions), with its stored columns. */
export const exportedTables = (sql: Pick<Sql, 'unsafe'>) =>
  sql.unsafe<TableColumns[]>(
    `select n.nspname || '.' || c.relname as table, array_agg(a.attname::text order by a.attnum) as columns
     from pg_catalog.pg_class c
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
     where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any ($1::text[])
       and (n.nspname, c.relname) <> ('public', 'schema_migrations')
     group by 1 order by 1`,
    [[...dataSchemas]],
  );

/**
 * backup-export: every table of the data schemas, read in one REPEATABLE READ, READ ONLY
 * transaction (one snapshot: the files agree with each other), streamed with COPY through gzip to
 * the export bucket (multipart, SSE-KMS), then a manifest with row counts and SHA-256 per file.
 * `npm run db:restore -- <manifest>` loads it back. Runs as eatsential_job_backup, which reads
 * every table and writes nothing.
 */
export function run({
  sql,
  target,
  now = new Date(),
  progress,
}: {
  sql: Sql;
  target?: ExportTarget;
  now?: Date;
  progress?: Progress;
}) {
  return reported('backup-export', async () => {
    const bucket = target ?? (await exportTarget());
    const prefix = `backups/${now.toISOString().replace(/[:.]/g, '-')}/`;
    const manifest = await sql.begin('isolation level repeatable read read only', async (tx) => {
      await tx`select set_config('role', 'eatsential_job_backup', true)`;
      const [{ snapshot } = { snapshot: '' }] = await tx<{ snapshot: string }[]>`
        select pg_current_snapshot()::text as snapshot`;
      const migrations = (
        await tx<{ version: string }[]>`select version from public.schema_migrations order by version`
      ).map((r) => r.version);
      const tables = await exportedTables(tx);
      const total = await tx.unsafe<{ n: number }[]>(
        `select coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 as n from pg_class c
         join pg_namespace n on n.oid = c.relnamespace where n.nspname = any ($1::text[]) and c.relkind = 'r'`,
        [[...dataSchemas]],
      );
      let done = 0;
      const files: ManifestFile[] = [];
      // Each table uploads while the next is read: at most `uploadsInFlight` files wait on S3.
      const inFlight = new Set<Promise<void>>();
      let failed: { error: unknown } | undefined;
      try {
        for (const t of tables) {
          const file = `${t.table}.copy.gz`;
          const out = await dumpToFile(tx, {
            table: t.table,
            columns: t.columns,
            onRows: (n) => progress?.((done += n), Math.max(done, Math.round(total[0]?.n ?? 0))),
          });
          files.push({
            table: t.table,
            columns: t.columns,
            file,
            rows: out.rows,
            bytes: out.bytes,
            sha256: out.sha256,
          });
          const upload: Promise<void> = out
            .upload(bucket, prefix + file)
            .catch((error: unknown) => {
              failed ??= { error };
            })
            .finally(() => inFlight.delete(upload));
          inFlight.add(upload);
          while (inFlight.size > uploadsInFlight) await Promise.race(inFlight);
          if (failed) throw failed.error;
        }
      } finally {
        await Promise.all(inFlight);
      }
      if (failed) throw failed.error;
      return { format: 1, createdAt: now.toISOString(), snapshot, migrations, files } satisfies Manifest;
    });
    const key = `${prefix}manifest.json`;
    await putJson(bucket, key, manifest);
    return {
      manifest: `s3://${bucket.bucket}/${key}`,
      tables: manifest.files.length,
      rows: manifest.files.reduce((n, f) => n + f.rows, 0),
      bytes: manifest.files.reduce((n, f) => n + f.bytes, 0),
    };
  });
}

export const handler = async () => run({ sql: await database() });
