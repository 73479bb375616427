/**
 * `npm run db:report [-- --json]`: what an operator looks at first (the design doc's Appendix B),
 * against DATABASE_URL: the database's size, each table's size and rows, each index's size and use,
 * the connections, the slowest statements from pg_stat_statements, and the access-log partitions.
 * Read-only; readable in a terminal, or one JSON document with --json.
 */
import type { Sql } from '../functions/core/db';

type Row = Record<string, string | number | boolean | null>;

export interface DbReport {
  readonly database: Row;
  readonly tables: Row[];
  readonly indexes: Row[];
  readonly connections: Row[];
  /** null with `slowStatementsNote` when pg_stat_statements cannot be read. */
  readonly slowStatements: Row[] | null;
  readonly slowStatementsNote: string | null;
  readonly partitions: Row[];
}

/** Schemas of the application (not pg_catalog, not extensions). */
const schemas = ['public', 'health', 'auth', 'audit', 'lifecycle'];

export async function dbReport(sql: Sql, options: { slowest?: number } = {}): Promise<DbReport> {
  const [database] = await sql<Row[]>`
    select current_database() as name,
           pg_size_pretty(pg_database_size(current_database())) as size,
           pg_database_size(current_database())::bigint::float8 as bytes,
           current_setting('server_version') as server_version,
           shobj_description(d.oid, 'pg_database') as comment
    from pg_database d where d.datname = current_database()`;

  // Plain tables, and partitioned tables with their partitions summed (the partitions themselves
  // are in their own section).
  const tables = await sql<Row[]>`
    with rel as (
      select c.oid, n.nspname, c.relname, c.relkind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any (${schemas}) and c.relkind in ('r', 'p') and not c.relispartition
    ), sized as (
      select rel.nspname, rel.relname,
             sum(pg_table_size(t.relid))::float8 as table_bytes,
             sum(pg_indexes_size(t.relid))::float8 as index_bytes,
             coalesce(sum(greatest(pc.reltuples, 0)) filter (where t.isleaf), 0)::float8 as rows_estimate,
             count(*) filter (where t.isleaf and rel.relkind = 'p')::int as partitions
      from rel
      cross join lateral (
        select relid, isleaf from pg_partition_tree(rel.oid)
        union all select rel.oid, true where rel.relkind = 'r'
      ) t
      join pg_class pc on pc.oid = t.relid
      group by rel.nspname, rel.relname
    )
    select nspname as schema, relname as table, rows_estimate::bigint::float8 as rows_estimate,
           pg_size_pretty((table_bytes + index_bytes)::bigint) as total_size,
           pg_size_pretty(table_bytes::bigint) as table_size, pg_size_pretty(index_bytes::bigint) as index_size,
           (table_bytes + index_bytes) as total_bytes, partitions
    from sized
    order by table_bytes + index_bytes desc, nspname, relname`;

  const indexes = await sql<Row[]>`
    select s.schemaname as schema, s.relname as table, s.indexrelname as index,
           pg_size_pretty(pg_relation_size(s.indexrelid)) as size,
           pg_relation_size(s.indexrelid)::float8 as bytes,
           s.idx_scan::float8 as scans, s.idx_tup_read::float8 as tuples_read,
           i.indisunique as unique
    from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
    join pg_class c on c.oid = s.relid
    where s.schemaname = any (${schemas}) and not c.relispartition
    order by pg_relation_size(s.indexrelid) desc, s.schemaname, s.indexrelname`;

  const connections = await sql<Row[]>`
    select pid, usename as user, application_name, host(client_addr) as client_addr, state,
           wait_event_type, to_char(query_start, 'YYYY-MM-DD HH24:MI:SS TZH') as query_start,
           to_char(state_change, 'YYYY-MM-DD HH24:MI:SS TZH') as state_change,
           round(extract(epoch from (now() - query_start))::numeric, 1)::float8 as query_seconds
    from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
    order by query_start nulls last`;

  let slowStatements: Row[] | null = null;
  let slowStatementsNote: string | null = null;
  const [ext] = await sql<{ view: string | null; preload: string }[]>`
    select (select format('%I.pg_stat_statements', n.nspname) from pg_extension e
            join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements') as view,
           current_setting('shared_preload_libraries') as preload`;
  if (!ext?.view) {
    slowStatementsNote =
      'pg_stat_statements is not installed in this database (create extension pg_stat_statements; the migrations do where the server ships it)';
  } else if (!/(^|[\s,])pg_stat_statements([\s,]|$)/.test(ext.preload)) {
    slowStatementsNote = `pg_stat_statements is installed but the server does not load it: shared_preload_libraries is '${ext.preload}' (RDS: the parameter group; restart needed)`;
  } else {
    slowStatements = await sql.unsafe<Row[]>(
      `select left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query, calls::float8 as calls,
              round(total_exec_time::numeric, 1)::float8 as total_ms, round(mean_exec_time::numeric, 2)::float8 as mean_ms,
              rows::float8 as rows
       from ${ext.view} where dbid = (select oid from pg_database where datname = current_database())
       order by mean_exec_time desc limit $1`,
      [options.slowest ?? 20],
    );
  }

  const partitions = await sql<Row[]>`
    select p.inhparent::regclass::text as parent, c.oid::regclass::text as partition,
           pg_get_expr(c.relpartbound, c.oid) as bounds,
           greatest(c.reltuples, 0)::bigint::float8 as rows_estimate,
           pg_size_pretty(pg_total_relation_size(c.oid)) as size
    from pg_inherits p join pg_class c on c.oid = p.inhrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any (${schemas}) and c.relkind in ('r', 'p')
    order by 1, 2`;

  return {
    database: database ?? {},
    tables,
    indexes,
    connections,
    slowStatements,
    slowStatementsNote,
    partitions,
  };
}

/** A table for the terminal: a header, then aligned columns (numbers to the right). */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  if (!rows.length) return '  (none)';
  const cell = (v: Row[string] | undefined) =>
    v === null || v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[], numeric: boolean[]) =>
    `  ${values.map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number))).join('  ')}`.trimEnd();
  const numeric = columns.map((c) => rows.every((r) => typeof r[c] === 'number' || r[c] === null));
  return [
    line([...columns], numeric),
    line(
      widths.map((w) => '-'.repeat(w)),
      numeric,
    ),
    ...rows.map((r) =>
      line(
        columns.map((c) => cell(r[c])),
        numeric,
      ),
    ),
  ].join('\n');
}

export function formatReport(r: DbReport): string {
  const db = r.database;
  const states = new Map<string, number>();
  for (const c of r.connections)
    states.set(String(c.state ?? 'background'), (states.get(String(c.state ?? 'background')) ?? 0) + 1);
  return [
    `Database ${db.name}: ${db.size}, PostgreSQL ${db.server_version}${db.comment ? ` (${db.comment})` : ''}`,
    '',
    "Tables (rows are the planner's estimates; partitioned tables sum their partitions)",
    formatTable(r.tables, [
      'schema',
      'table',
      'rows_estimate',
      'total_size',
      'table_size',
      'index_size',
      'partitions',
    ]),
    '',
    'Indexes (scans since the statistics were last reset; 0: never used)',
    formatTable(r.indexes, ['schema', 'table', 'index', 'size', 'scans', 'tuples_read', 'unique']),
    '',
    `Connections to this database: ${r.connections.length} (${[...states].map(([s, n]) => `${n} ${s}`).join(', ') || 'none besides this one'})`,
    formatTable(r.connections, [
      'pid',
      'user',
      'application_name',
      'client_addr',
      'state',
      'wait_event_type',
      'query_start',
      'query_seconds',
    ]),
    '',
    'Slowest statements (pg_stat_statements, by mean time)',
    r.slowStatements
      ? formatTable(r.slowStatements, ['mean_ms', 'calls', 'total_ms', 'rows', 'query'])
      : `  ${r.slowStatementsNote}`,
    '',
    'Partitions',
    formatTable(r.partitions, ['parent', 'partition', 'bounds', 'rows_estimate', 'size']),
  ].join('\n');
}
