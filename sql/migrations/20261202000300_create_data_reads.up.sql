-- Reads of mental-wellness data, audited (design doc 9.7: "audit all mental wellness data queries").
--
-- Why: audit.data_changes records every change by trigger, but PostgreSQL has no trigger on
-- SELECT, and statement logging would put health data in the server's logs. The API writes one
-- row per request that read mental-wellness rows: who read, whose rows, which tables, how many
-- rows, the route template and the request id; never content. A signed-in request may record only
-- reads of its own person by itself; no application role may read, change or delete the rows.

create table audit.data_reads (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null,
    subject_user_id uuid not null,
    tables text[] not null,
    row_count integer not null,
    route varchar(255) not null,
    request_id varchar(128),
    read_at timestamptz not null default current_timestamp,

    constraint data_reads_tables_check check (cardinality(tables) between 1 and 20),
    constraint data_reads_row_count_check check (row_count >= 0),
    constraint data_reads_route_check check (route ~ '^(GET|HEAD|POST|PUT|PATCH|DELETE) /')
);

create index data_reads_subject_user_id_read_at_idx on audit.data_reads (subject_user_id, read_at);
create index data_reads_read_at_idx on audit.data_reads using brin (read_at);

comment on table audit.data_reads is
    'One row per API request that read mental-wellness rows: reader, owner, tables, row count, route, request id. Never content.';

alter table audit.data_reads enable row level security;

create policy "users record their own reads" on audit.data_reads
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and subject_user_id = auth.current_user_id());
create policy "jobs read the read audit" on audit.data_reads
    for select to eatsential_admin using (true);
create policy "jobs delete from the read audit" on audit.data_reads
    for delete to eatsential_admin using (true);

grant insert on audit.data_reads to eatsential_write;
grant select, delete on audit.data_reads to eatsential_admin;
