import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMigrationsDir, loadMigrations, migrate, rollback, status } from '../../sql/migrator';
import { onPostgres, repoRoot, useTestDatabase } from '../support';

/** Tables, columns, constraints, indexes, functions, triggers and policies of the app's schemas. */
async function schemaShape(sql: import('../../functions/core/db').Sql): Promise<string> {
  const schemas = ['public', 'auth', 'health', 'audit'];
  const parts = await Promise.all([
    sql`select table_schema, table_name, column_name, data_type, is_nullable, column_default, is_generated, generation_expression
        from information_schema.columns where table_schema in ${sql(schemas)} and table_name <> 'schema_migrations'
        order by 1, 2, 3`,
    sql`select n.nspname, c.conname, pg_get_constraintdef(c.oid) as def from pg_constraint c
        join pg_namespace n on n.oid = c.connamespace where n.nspname in ${sql(schemas)}
        and c.conname not like 'schema_migrations%' order by 1, 2, 3`,
    sql`select schemaname, indexname, indexdef from pg_indexes where schemaname in ${sql(schemas)}
        and tablename <> 'schema_migrations' order by 1, 2`,
    sql`select n.nspname, p.proname, md5(p.prosrc) as src, pg_get_function_identity_arguments(p.oid) as args
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ${sql(schemas)} order by 1, 2, 4`,
    sql`select tgname, tgrelid::regclass::text as rel from pg_trigger where not tgisinternal order by 1, 2`,
    sql`select schemaname, tablename, policyname, cmd, roles::text, qual, with_check from pg_policies order by 1, 2, 3`,
  ]);
  return JSON.stringify(parts);
}

function pgDumpSchema(url: string): string {
  const out = spawnSync(
    'pg_dump',
    ['--schema-only', '--no-owner', '--exclude-table=public.schema_migrations', url],
    {
      encoding: 'utf8',
    },
  );
  if (out.status !== 0) throw new Error(`pg_dump failed: ${out.stderr}`);
  return out.stdout.replace(/^\\(un)?restrict .*$/gm, '');
}

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-migrations-'));
  cpSync(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

describe('migration runner', () => {
  const db = useTestDatabase({ empty: true });

  it('migrates to latest, rolls back to zero and migrates again to the same schema', async () => {
    const all = await loadMigrations();
    expect(all.length).toBeGreaterThan(0);

    expect(await migrate(db.sql)).toHaveLength(all.length);
    const first = await schemaShape(db.sql);
    const firstDump = onPostgres ? pgDumpSchema(db.url) : '';

    expect(await rollback(db.sql, { to: '0' })).toHaveLength(all.filter((m) => m.down !== null).length);
    const [tables] = await db.sql<
      { count: number }[]
    >`select count(*)::int as count from information_schema.tables where table_schema in ('auth', 'health', 'audit')`;
    expect(tables?.count).toBe(0);

    expect(await migrate(db.sql)).toHaveLength(all.length);
    expect(await schemaShape(db.sql)).toEqual(first);
    if (onPostgres) expect(pgDumpSchema(db.url)).toEqual(firstDump);
    expect((await status(db.sql)).every((s) => s.state === 'applied')).toBe(true);
  });

  it('rolls back one step by default', async () => {
    const all = await loadMigrations();
    const last = all[all.length - 1];
    expect(await rollback(db.sql)).toEqual([`${last?.version}_${last?.name}.down.sql`]);
    expect(await migrate(db.sql)).toEqual([last?.file]);
  });

  it('refuses to run when an applied migration was edited, naming the file', async () => {
    const dir = copyOfMigrations();
    const first = readdirSync(dir)
      .sort()
      .find((f) => f.endsWith('.up.sql')) as string;
    writeFileSync(join(dir, first), '-- edited\n', { flag: 'a' });

    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      `migration ${first} was edited after it was applied`,
    );
    expect(
      (await status(db.sql, { dir })).find((s) => `${s.version}_${s.name}.up.sql` === first)?.state,
    ).toBe('edited');
  });
});

describe('an older release against a newer database', () => {
  const db = useTestDatabase({ empty: true });

  it('migrates nothing and keeps the newer migrations, but refuses to roll them back', async () => {
    const dir = copyOfMigrations();
    await migrate(db.sql, { dir });
    const newest = readdirSync(dir)
      .sort()
      .filter((f) => f.endsWith('.sql'))
      .slice(-2);
    for (const f of newest) rmSync(join(dir, f));
    const lines: string[] = [];

    expect(await migrate(db.sql, { dir, log: (l) => lines.push(l) })).toEqual([]);
    expect(lines.join('\n')).toContain('is newer than this release');
    await expect(rollback(db.sql, { dir })).rejects.toThrow('is missing from the migrations folder');
  });
});

describe('a failing migration', () => {
  const db = useTestDatabase({ empty: true });

  it('is rolled back whole and reported with its file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-bad-'));
    writeFileSync(join(dir, '20990101000000_create_good.up.sql'), 'create table public.good (id int);\n');
    writeFileSync(join(dir, '20990101000000_create_good.down.sql'), 'drop table public.good;\n');
    writeFileSync(
      join(dir, '20990102000000_create_bad.up.sql'),
      'create table public.half (id int);\n\nselect * from public.nowhere;\n',
    );

    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      /migration 20990102000000_create_bad\.up\.sql:3 failed and was rolled back: .*nowhere.* \(SQLSTATE 42P01\)/,
    );
    const tables =
      await db.sql`select table_name from information_schema.tables where table_name in ('good', 'half')`;
    expect(tables.map((t) => t.table_name)).toEqual(['good']);
    expect((await status(db.sql, { dir })).map((s) => s.state)).toEqual(['applied', 'pending']);
  });
});

(onPostgres ? describe : describe.skip)('concurrent runs', () => {
  // the embedded database serves one session
  const db = useTestDatabase({ empty: true });

  it('apply each migration exactly once', async () => {
    const [a, b] = [db.connect(), db.connect()];
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const all = await loadMigrations();
    expect([...ra, ...rb].sort()).toEqual(all.map((m) => m.file));
    const [ledger] = await db.sql<
      { count: number }[]
    >`select count(*)::int as count from public.schema_migrations`;
    expect(ledger?.count).toBe(all.length);
  });
});

describe('db:migrate on bad input', () => {
  const run = (env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'sql', 'cli.ts'), 'migrate'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: undefined, ...env },
    });

  it('says DATABASE_URL is missing in one line and exits non-zero', () => {
    const out = run({});
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('DATABASE_URL is not set');
  });

  it('names an unreachable database without its password and exits non-zero', () => {
    const out = run({ DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:1/eatsential' });
    expect(out.status).toBe(1);
    expect(out.stderr.trim()).toMatch(
      /^cannot reach the database at 127\.0\.0\.1:1\/eatsential: ECONNREFUSED/,
    );
    expect(out.stderr).not.toContain('s3cret');
  });
});
