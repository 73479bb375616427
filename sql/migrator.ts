import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql } from '../functions/core/db';
import { isPgError } from '../functions/core/db';

/** One up/down pair: `<UTC timestamp>_<verb_object>.up.sql` and `.down.sql`. */
export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
  readonly up: string;
  readonly down: string | null;
  readonly checksum: string;
}

export interface MigrationStatus {
  readonly version: string;
  readonly name: string;
  readonly state: 'applied' | 'pending' | 'edited' | 'missing';
  readonly appliedAt: Date | null;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export const defaultMigrationsDir = join(__dirname, 'migrations');

/** Key of the transaction-scoped advisory lock every migration runs under ("eatsential" in ASCII). */
const lockKey = 0x6561747365;
const fileName = /^(\d{14})_([a-z0-9_]+)\.(up|down)\.sql$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function loadMigrations(dir: string = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const byVersion = new Map<string, { name: string; up?: string; down?: string }>();
  for (const f of files) {
    const m = fileName.exec(f);
    if (!m)
      throw new MigrationError(
        `${join(dir, f)}: not named <14-digit UTC timestamp>_<verb_object>.(up|down).sql`,
      );
    const [, version, name, direction] = m as unknown as [string, string, string, 'up' | 'down'];
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) throw new MigrationError(`${f}: version ${version} is used by two names`);
    entry[direction] = await readFile(join(dir, f), 'utf8');
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()].map(([version, e]) => {
    if (e.up === undefined) throw new MigrationError(`${version}_${e.name}.down.sql has no matching .up.sql`);
    return {
      version,
      name: e.name,
      file: `${version}_${e.name}.up.sql`,
      up: e.up,
      down: e.down ?? null,
      checksum: sha256(e.up),
    };
  });
}

async function ensureLedger(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${lockKey})`;
    await tx`
      create table if not exists public.schema_migrations (
        version text primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
  });
}

interface LedgerRow {
  version: string;
  name: string;
  checksum: string;
  applied_at: Date;
}

const ledger = (sql: Sql) =>
  sql<LedgerRow[]>`select version, name, checksum, applied_at from public.schema_migrations order by version`;

/**
 * Refuses to go on when a landed migration was edited or removed: the database would drift from
 * the files. Rows newer than every file are a newer release's migrations (a stack rolling back
 * runs the previous migrate Lambda): with `tolerateNewer` they are reported and left alone.
 */
function verify(
  migrations: readonly Migration[],
  applied: readonly LedgerRow[],
  options: { tolerateNewer: boolean; log?: (line: string) => void },
): void {
  const files = new Map(migrations.map((m) => [m.version, m]));
  const newest = migrations[migrations.length - 1]?.version ?? '';
  for (const row of applied) {
    const m = files.get(row.version);
    if (!m && options.tolerateNewer && row.version > newest) {
      options.log?.(
        `applied migration ${row.version}_${row.name} is newer than this release; leaving it as it is`,
      );
      continue;
    }
    if (!m) {
      throw new MigrationError(
        `applied migration ${row.version}_${row.name}.up.sql is missing from the migrations folder`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${m.file} was edited after it was applied (recorded sha256 ${row.checksum.slice(0, 12)}, file ${m.checksum.slice(0, 12)}); add a new migration instead`,
      );
    }
  }
}

function describeFailure(file: string, script: string, e: unknown, action: string): MigrationError {
  if (isPgError(e)) {
    const position = Number(e.position);
    const line = position > 0 ? `:${script.slice(0, position).split('\n').length}` : '';
    return new MigrationError(
      `${action} ${file}${line} failed and was rolled back: ${e.message} (SQLSTATE ${e.code})`,
      { cause: e },
    );
  }
  return new MigrationError(`${action} ${file} failed and was rolled back: ${(e as Error).message}`, {
    cause: e,
  });
}

export interface RunOptions {
  readonly dir?: string;
  /** Target version; for rollback `'0'` means every migration. */
  readonly to?: string;
  readonly log?: (line: string) => void;
}

/**
 * Applies pending migrations in order, each in its own transaction under an advisory lock.
 * Concurrent runs are safe: inside the lock each run re-reads the ledger and skips what another applied.
 */
export async function migrate(sql: Sql, options: RunOptions = {}): Promise<string[]> {
  const migrations = await loadMigrations(options.dir);
  if (options.to !== undefined && !migrations.some((m) => m.version === options.to)) {
    throw new MigrationError(`no migration has version ${options.to}`);
  }
  await ensureLedger(sql);
  verify(migrations, await ledger(sql), { tolerateNewer: true, log: options.log });
  const applied: string[] = [];
  for (const m of migrations) {
    if (options.to !== undefined && m.version > options.to) break;
    const ran = await sql
      .begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${lockKey})`;
        const [done] = await tx`select 1 from public.schema_migrations where version = ${m.version}`;
        if (done) return false;
        await tx.unsafe(m.up);
        await tx`insert into public.schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
        return true;
      })
      .catch((e: unknown) => {
        throw describeFailure(m.file, m.up, e, 'migration');
      });
    if (ran) {
      applied.push(m.file);
      options.log?.(`applied ${m.file}`);
    }
  }
  if (applied.length > 0) await coverTables(sql);
  return applied;
}

/**
 * Grants that follow the catalog (sql/README.md, lifecycle): the backup job reads every table and
 * the rekey job every note column, including those of tables the migrations just added.
 */
async function coverTables(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${lockKey})`;
    const [fn] = await tx<{ present: boolean }[]>`
      select to_regprocedure('lifecycle.cover_tables()') is not null as present`;
    if (fn?.present) await tx`select lifecycle.cover_tables()`;
  });
}

/** Rolls back the newest applied migration, or every one newer than `to` (`'0'`: all). */
export async function rollback(sql: Sql, options: RunOptions = {}): Promise<string[]> {
  const migrations = await loadMigrations(options.dir);
  await ensureLedger(sql);
  const appliedRows = await ledger(sql);
  verify(migrations, appliedRows, { tolerateNewer: false });
  const target = options.to ?? appliedRows[appliedRows.length - 2]?.version ?? '0';
  if (target !== '0' && !appliedRows.some((r) => r.version === target)) {
    throw new MigrationError(`version ${target} is not applied; nothing to roll back to`);
  }
  const undone: string[] = [];
  for (const m of [...migrations].reverse()) {
    if (m.version <= target) break;
    const file = `${m.version}_${m.name}.down.sql`;
    const ran = await sql
      .begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${lockKey})`;
        const [done] = await tx`select 1 from public.schema_migrations where version = ${m.version}`;
        if (!done) return false;
        if (m.down === null)
          throw new MigrationError(`${file} does not exist; ${m.file} cannot be rolled back`);
        await tx.unsafe(m.down);
        await tx`delete from public.schema_migrations where version = ${m.version}`;
        return true;
      })
      .catch((e: unknown) => {
        throw e instanceof MigrationError ? e : describeFailure(file, m.down ?? '', e, 'rollback');
      });
    if (ran) {
      undone.push(file);
      options.log?.(`rolled back ${file}`);
    }
  }
  return undone;
}

export async function status(sql: Sql, options: Pick<RunOptions, 'dir'> = {}): Promise<MigrationStatus[]> {
  const migrations = await loadMigrations(options.dir);
  await ensureLedger(sql);
  const rows = new Map((await ledger(sql)).map((r) => [r.version, r]));
  const result: MigrationStatus[] = migrations.map((m) => {
    const row = rows.get(m.version);
    rows.delete(m.version);
    const state = !row ? 'pending' : row.checksum === m.checksum ? 'applied' : 'edited';
    return { version: m.version, name: m.name, state, appliedAt: row?.applied_at ?? null };
  });
  for (const row of rows.values()) {
    result.push({ version: row.version, name: row.name, state: 'missing', appliedAt: row.applied_at });
  }
  return result.sort((a, b) => a.version.localeCompare(b.version));
}
