-- Data lifecycle (design doc 9.7, NFR-007A): the erasure ledger, anonymous wellness statistics,
-- one database role per scheduled job, and the SECURITY DEFINER functions through which the jobs
-- work on tables they hold no grant on.
--
-- Why: jobs logged in as eatsential_jobs and ran as eatsential_admin, which could read and delete
-- every table, payment cards and mental health included. Each job now has its own role
-- (eatsential_job_<name>), granted to the eatsential_jobs login and nothing else:
-- * purge and anonymise execute functions only: they can remove a deleted account's rows or move
--   old wellness rows into statistics, and read nothing;
-- * rekey reads and rewrites note ciphertexts (and the owner column they are bound to) only;
-- * backup reads every table (it is the backup), through lifecycle.cover_tables(), which the
--   migrator runs after every migration so a table added later is covered;
-- * retention deletes ended sessions and spent tokens and drops old access-log partitions;
-- * partitions and idempotency keys keep what they had.
-- What belongs to a person is found from the catalog, never from a list: every column with a
-- foreign key to public.users (directly), and in the audit schema every uuid column named
-- *user_id (audit rows have no foreign key: they outlive the account, unlinked).

create schema lifecycle;
comment on schema lifecycle is 'Data lifecycle: the erasure ledger and the functions the lifecycle jobs run.';

do $$
declare
    r record;
begin
    for r in
        select unnest(array[
            'eatsential_job_partitions', 'eatsential_job_idempotency_keys', 'eatsential_job_purge',
            'eatsential_job_anonymise', 'eatsential_job_backup', 'eatsential_job_retention',
            'eatsential_job_rekey'
        ]) as name
    loop
        if not exists (select 1 from pg_catalog.pg_roles where rolname = r.name) then
            begin
                execute format('create role %I nologin', r.name);
            exception when duplicate_object or unique_violation then
                null; -- created meanwhile by a migration of another database
            end;
        end if;
        if not exists (
            select 1 from pg_catalog.pg_auth_members m
            join pg_catalog.pg_roles g on g.oid = m.roleid
            join pg_catalog.pg_roles u on u.oid = m.member
            where g.rolname = r.name and u.rolname = 'eatsential_jobs'
        ) then
            begin
                execute format('grant %I to eatsential_jobs', r.name);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
    -- The jobs login no longer reaches eatsential_admin (kept for operators).
    if exists (
        select 1 from pg_catalog.pg_auth_members m
        join pg_catalog.pg_roles g on g.oid = m.roleid
        join pg_catalog.pg_roles u on u.oid = m.member
        where g.rolname = 'eatsential_admin' and u.rolname = 'eatsential_jobs'
    ) then
        revoke eatsential_admin from eatsential_jobs;
    end if;
end;
$$;

grant usage on schema lifecycle to eatsential_job_purge, eatsential_job_anonymise, eatsential_job_backup,
    eatsential_job_retention, eatsential_job_rekey, eatsential_write;

-- The erasure ledger: which account asked to be erased, when, and when it was done; nothing else.
create table lifecycle.erasures (
    account_id uuid primary key,
    asked_at timestamptz not null,
    done_at timestamptz,

    constraint erasures_done_at_check check (done_at is null or done_at >= asked_at)
);
create index erasures_pending_idx on lifecycle.erasures (asked_at) where done_at is null;

comment on table lifecycle.erasures is
    'Erasure ledger: account id, when the deletion was asked (users.deleted_at), when the purge finished. A restore re-applies it.';

-- Mental-wellness rows past the horizon, kept for statistics only: no person, no free text, the week.
create table health.wellness_statistics (
    id bigint generated always as identity primary key,
    source_table text not null,
    week date not null,
    facts jsonb not null,

    constraint wellness_statistics_week_check check (extract(isodow from week) = 1),
    constraint wellness_statistics_facts_check check (jsonb_typeof(facts) = 'object')
);
create index wellness_statistics_source_week_idx on health.wellness_statistics (source_table, week);
alter table health.wellness_statistics enable row level security;

comment on table health.wellness_statistics is
    'Anonymised mental-wellness rows older than the horizon: the ISO week (Monday) of the row, and its numeric, boolean and enumerated facts; no user, no text, no exact time.';

-- ---------------------------------------------------------------------------------------------
-- What the catalog says belongs to a person.

create function lifecycle.person_columns()
returns table (table_schema text, table_name text, column_name text, action text)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    -- Foreign keys to public.users: cascading or NOT NULL ones delete the row, SET NULL ones unlink it.
    select n.nspname::text, c.relname::text, a.attname::text,
           case when k.confdeltype = 'c' or (a.attnotnull and k.confdeltype in ('a', 'r')) then 'delete'
                else 'unlink' end
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
    where k.contype = 'f' and k.confrelid = 'public.users'::regclass and cardinality(k.conkey) = 1
      and not c.relispartition
    union all
    -- Audit rows stay, unlinked; row copies of a person's data (data_changes by subject) go.
    select n.nspname::text, c.relname::text, a.attname::text,
           case when c.relname = 'data_changes' and a.attname = 'subject_user_id' then 'delete' else 'unlink' end
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'audit' and c.relkind in ('r', 'p') and not c.relispartition
      and a.atttypid = 'uuid'::regtype and a.attname like '%user_id'
$$;

comment on function lifecycle.person_columns() is
    'Every column that links a row to a person: foreign keys to public.users (delete: cascading or NOT NULL; unlink: nullable) and audit.*user_id (unlink; data_changes.subject_user_id: delete).';

-- Columns that identify a person beyond the id (addresses, devices, sessions), cleared with the
-- link when a row is unlinked.
create function lifecycle.unlinked_columns(p_schema text, p_table text)
returns text[]
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(array_agg(a.attname::text order by a.attnum), '{}')
    from pg_attribute a
    where a.attrelid = format('%I.%I', p_schema, p_table)::regclass and a.attnum > 0 and not a.attisdropped
      and not a.attnotnull
      and (a.atttypid = 'inet'::regtype or a.attname in ('user_agent', 'session_id'))
$$;

-- Primary-key columns of a table (ctid when it has none), to address a batch of rows.
create function lifecycle.row_key(p_schema text, p_table text)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select string_agg(quote_ident(a.attname), ', ' order by array_position(i.indkey::int2[], a.attnum))
         from pg_index i
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey::int2[])
         where i.indrelid = format('%I.%I', p_schema, p_table)::regclass and i.indisprimary),
        'ctid')
$$;

-- ---------------------------------------------------------------------------------------------
-- purge-deleted-accounts

-- Records every soft-deleted account not yet in the ledger; returns how many were added.
create function lifecycle.record_erasure_requests()
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_count integer;
begin
    insert into lifecycle.erasures (account_id, asked_at)
    select id, deleted_at from public.users where deleted_at is not null
    on conflict (account_id) do nothing;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- One bounded batch of one column for one account whose erasure is pending: rows deleted or unlinked.
create function lifecycle.purge_batch(p_account uuid, p_schema text, p_table text, p_column text, p_limit integer)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_action text;
    v_key text;
    v_clear text[];
    v_set text;
    v_count integer;
begin
    if not exists (select 1 from lifecycle.erasures where account_id = p_account and done_at is null) then
        raise exception using errcode = 'insufficient_privilege',
            message = format('account %s has no pending erasure', p_account);
    end if;
    select c.action into v_action from lifecycle.person_columns() c
    where c.table_schema = p_schema and c.table_name = p_table and c.column_name = p_column;
    if v_action is null then
        raise exception using errcode = 'invalid_parameter_value',
            message = format('%I.%I.%I does not link rows to a person', p_schema, p_table, p_column);
    end if;
    v_key := lifecycle.row_key(p_schema, p_table);
    if v_action = 'delete' then
        execute format(
            'delete from %1$I.%2$I where (%3$s) in (select %3$s from %1$I.%2$I where %4$I = $1 limit $2)',
            p_schema, p_table, v_key, p_column)
        using p_account, p_limit;
    else
        v_clear := array_append(array_remove(lifecycle.unlinked_columns(p_schema, p_table), p_column), p_column);
        select string_agg(format('%I = null', x), ', ') into v_set from unnest(v_clear) x;
        execute format(
            'update %1$I.%2$I set %5$s where (%3$s) in (select %3$s from %1$I.%2$I where %4$I = $1 limit $2)',
            p_schema, p_table, v_key, p_column, v_set)
        using p_account, p_limit;
    end if;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- Deletes the account row itself (after its rows elsewhere), for a pending erasure only.
create function lifecycle.delete_account(p_account uuid)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_count integer;
begin
    if not exists (select 1 from lifecycle.erasures where account_id = p_account and done_at is null) then
        raise exception using errcode = 'insufficient_privilege',
            message = format('account %s has no pending erasure', p_account);
    end if;
    delete from public.users where id = p_account and deleted_at is not null;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- Marks an erasure done once nothing anywhere links to the account.
create function lifecycle.complete_erasure(p_account uuid)
returns boolean
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    r record;
    v_left boolean;
begin
    if exists (select 1 from public.users where id = p_account) then
        return false;
    end if;
    for r in select * from lifecycle.person_columns() loop
        execute format('select exists (select 1 from %I.%I where %I = $1)', r.table_schema, r.table_name, r.column_name)
            into v_left using p_account;
        if v_left then
            return false;
        end if;
    end loop;
    update lifecycle.erasures set done_at = pg_catalog.now() where account_id = p_account and done_at is null;
    return true;
end;
$$;

-- After a restore: every erasure whose account came back is pending again (and the account soft-deleted).
create function lifecycle.reopen_erasures()
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_count integer;
begin
    update public.users u set deleted_at = coalesce(u.deleted_at, e.asked_at), is_active = false
    from lifecycle.erasures e where e.account_id = u.id;
    update lifecycle.erasures e set done_at = null
    where done_at is not null and exists (select 1 from public.users u where u.id = e.account_id);
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

create function lifecycle.pending_erasures()
returns table (account_id uuid, asked_at timestamptz)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select account_id, asked_at from lifecycle.erasures where done_at is null order by asked_at
$$;

-- ---------------------------------------------------------------------------------------------
-- anonymise-wellness

-- Mental-wellness tables: the person-owned tables of the health schema.
create function lifecycle.wellness_tables()
returns table (table_schema text, table_name text, owner_column text)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select table_schema, table_name, min(column_name)
    from lifecycle.person_columns()
    where table_schema = 'health' and action = 'delete'
    group by table_schema, table_name
$$;

-- The facts of a wellness row that survive anonymisation, as a jsonb expression over alias r:
-- numbers and booleans; text only when a CHECK constraint enumerates its values; dates and
-- instants as their ISO week. Free text (text, arrays, json, bytea), times of day, ids and the owner go.
create function lifecycle.wellness_facts(p_schema text, p_table text)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select 'jsonb_build_object(' || coalesce(string_agg(
        format('%L, ', a.attname) ||
        case
            when a.atttypid = 'timestamptz'::regtype
                then format('(date_trunc(''week'', r.%I at time zone ''UTC''))::date', a.attname)
            when a.atttypid in ('date'::regtype, 'timestamp'::regtype)
                then format('(date_trunc(''week'', r.%I::timestamp))::date', a.attname)
            else format('r.%I', a.attname)
        end, ', ' order by a.attnum), '') || ')'
    from pg_attribute a
    where a.attrelid = format('%I.%I', p_schema, p_table)::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname <> 'id'
      and not exists (select 1 from lifecycle.person_columns() c
                      where c.table_schema = p_schema and c.table_name = p_table and c.column_name = a.attname)
      and (
        a.atttypid in ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype,
                       'real'::regtype, 'double precision'::regtype, 'boolean'::regtype, 'interval'::regtype,
                       'date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype)
        or (a.atttypid in ('varchar'::regtype, 'text'::regtype) and exists (
            select 1 from pg_constraint k
            where k.conrelid = a.attrelid and k.contype = 'c' and k.conkey = array[a.attnum]
              and pg_get_constraintdef(k.oid) ~ '= ANY \(\(?ARRAY\['))
      )
      and a.attname not like '%\_key\_version'
$$;

-- Moves one batch of a wellness table's rows created before now() - p_horizon into statistics,
-- with their audit row copies; returns how many rows moved.
create function lifecycle.anonymise_wellness_batch(p_schema text, p_table text, p_horizon interval, p_limit integer)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_ids uuid[];
    v_count integer;
begin
    if not exists (select 1 from lifecycle.wellness_tables() w where w.table_schema = p_schema and w.table_name = p_table) then
        raise exception using errcode = 'invalid_parameter_value',
            message = format('%I.%I is not a mental-wellness table', p_schema, p_table);
    end if;
    if p_horizon < interval '30 days' then
        raise exception using errcode = 'invalid_parameter_value', message = 'the horizon must be at least 30 days';
    end if;
    execute format(
        'select array(select id from %I.%I where created_at < pg_catalog.now() - $1 order by created_at limit $2 for update skip locked)',
        p_schema, p_table)
    into v_ids using p_horizon, p_limit;
    if cardinality(v_ids) = 0 then
        return 0;
    end if;
    execute format(
        'insert into health.wellness_statistics (source_table, week, facts)
         select %L, (date_trunc(''week'', r.created_at at time zone ''UTC''))::date, %s from %I.%I r where r.id = any ($1)',
        p_schema || '.' || p_table, lifecycle.wellness_facts(p_schema, p_table), p_schema, p_table)
    using v_ids;
    execute format('delete from %I.%I where id = any ($1)', p_schema, p_table) using v_ids;
    get diagnostics v_count = row_count;
    -- The row's audit copies (its insert, updates and the delete just made) would still name the person.
    delete from audit.data_changes d
    where d.schema_name = p_schema and d.table_name = p_table and d.record_id = any (v_ids);
    return v_count;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Grants that follow the catalog: the backup role reads every table, the rekey role reads and
-- rewrites note ciphertexts. Idempotent; the migrator calls it after migrating.

create function lifecycle.note_columns()
returns table (table_schema text, table_name text, column_name text, version_column text, owner_column text)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select n.nspname::text, c.relname::text, a.attname::text, v.attname::text, min(o.column_name)
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute v on v.attrelid = a.attrelid and v.attname = regexp_replace(a.attname, '_encrypted$', '_key_version')
    join lifecycle.person_columns() o on o.table_schema = n.nspname and o.table_name = c.relname and o.action = 'delete'
    where a.attname like '%\_encrypted' and a.atttypid = 'bytea'::regtype and not a.attisdropped
      and c.relkind in ('r', 'p') and not c.relispartition
    group by n.nspname, c.relname, a.attname, v.attname
$$;

create function lifecycle.cover_tables()
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    r record;
begin
    for r in
        select n.nspname, c.relname, c.relrowsecurity
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname in ('public', 'auth', 'health', 'audit', 'lifecycle')
    loop
        execute format('grant usage on schema %I to eatsential_job_backup', r.nspname);
        execute format('grant select on %I.%I to eatsential_job_backup', r.nspname, r.relname);
        if r.relrowsecurity and not exists (
            select 1 from pg_policy p
            where p.polrelid = format('%I.%I', r.nspname, r.relname)::regclass and p.polname = 'backups read every row'
        ) then
            execute format('create policy "backups read every row" on %I.%I for select to eatsential_job_backup using (true)',
                r.nspname, r.relname);
        end if;
    end loop;
    for r in select * from lifecycle.note_columns() loop
        execute format('grant usage on schema %I to eatsential_job_rekey', r.table_schema);
        execute format('grant select (%I, %I, %I), update (%I, %I) on %I.%I to eatsential_job_rekey',
            r.column_name, r.version_column, r.owner_column, r.column_name, r.version_column, r.table_schema, r.table_name);
        if not exists (
            select 1 from pg_policy p
            where p.polrelid = format('%I.%I', r.table_schema, r.table_name)::regclass and p.polname = 'the rekey job reads notes'
        ) then
            execute format('create policy "the rekey job reads notes" on %I.%I for select to eatsential_job_rekey using (true)',
                r.table_schema, r.table_name);
            execute format('create policy "the rekey job reseals notes" on %I.%I for update to eatsential_job_rekey using (true) with check (true)',
                r.table_schema, r.table_name);
        end if;
    end loop;
end;
$$;

comment on function lifecycle.cover_tables() is
    'Grants the backup job SELECT (and an RLS read policy) on every table, and the rekey job its note columns; run after every migration by the migrator.';

-- ---------------------------------------------------------------------------------------------
-- access-log-retention

-- Drops one monthly access-log partition once the caller proves it exported all of its rows.
create function lifecycle.drop_access_log_partition(p_month date, p_exported_rows bigint, p_retention interval)
returns boolean
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_name text := 'access_logs_' || to_char(p_month, 'YYYY_MM');
    v_rows bigint;
begin
    if p_retention < interval '1 month' then
        raise exception using errcode = 'invalid_parameter_value', message = 'the retention must be at least one month';
    end if;
    if (date_trunc('month', p_month::timestamp) + interval '1 month') > (now() at time zone 'UTC') - p_retention then
        raise exception using errcode = 'invalid_parameter_value',
            message = format('%s is not older than the retention', v_name);
    end if;
    if to_regclass('audit.' || v_name) is null then
        return false;
    end if;
    execute format('lock table audit.%I in access exclusive mode', v_name);
    execute format('select count(*) from audit.%I', v_name) into v_rows;
    if v_rows <> p_exported_rows then
        raise exception using errcode = 'data_exception',
            message = format('audit.%s holds %s rows, the export %s: not dropped', v_name, v_rows, p_exported_rows);
    end if;
    execute format('alter table audit.access_logs detach partition audit.%I', v_name);
    execute format('drop table audit.%I', v_name);
    return true;
end;
$$;

create function lifecycle.access_log_partitions()
returns table (month date, rows_estimate bigint)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select to_date(substr(c.relname, 13), 'YYYY_MM'), c.reltuples::bigint
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'audit.access_logs'::regclass and c.relname ~ '^access_logs_[0-9]{4}_[0-9]{2}$'
    order by 1
$$;

-- ---------------------------------------------------------------------------------------------
-- Execute grants: each job its functions.

revoke execute on all functions in schema lifecycle from public;
grant execute on function lifecycle.record_erasure_requests(), lifecycle.purge_batch(uuid, text, text, text, integer),
    lifecycle.delete_account(uuid), lifecycle.complete_erasure(uuid), lifecycle.pending_erasures(),
    lifecycle.person_columns() to eatsential_job_purge;
grant execute on function lifecycle.wellness_tables(), lifecycle.anonymise_wellness_batch(text, text, interval, integer)
    to eatsential_job_anonymise;
grant execute on function lifecycle.note_columns(), lifecycle.person_columns() to eatsential_job_rekey;
grant execute on function lifecycle.drop_access_log_partition(date, bigint, interval), lifecycle.access_log_partitions()
    to eatsential_job_retention;
grant execute on function lifecycle.person_columns() to eatsential_job_backup;

-- partitions and idempotency keys: what eatsential_admin gave them, no more.
grant usage on schema audit to eatsential_job_partitions, eatsential_job_retention;
grant execute on function audit.create_access_log_partition(date) to eatsential_job_partitions;
grant usage on schema public to eatsential_job_idempotency_keys;
grant select, delete on public.idempotency_keys to eatsential_job_idempotency_keys;
create policy "the idempotency-keys job sees expired keys" on public.idempotency_keys
    for select to eatsential_job_idempotency_keys using (expires_at < current_timestamp);
create policy "the idempotency-keys job purges expired keys" on public.idempotency_keys
    for delete to eatsential_job_idempotency_keys using (expires_at < current_timestamp);

-- retention: ended sessions, spent tokens, and old access-log rows (read to export them).
grant usage on schema auth to eatsential_job_retention;
grant select (id, expires_at, revoked_at), delete on auth.user_sessions to eatsential_job_retention;
grant select (id, expires_at, used_at), delete on auth.verification_tokens to eatsential_job_retention;
grant select (token_hash, rotated_at), delete on auth.rotated_refresh_tokens to eatsential_job_retention;
grant select on audit.access_logs to eatsential_job_retention;
create policy "the retention job sees ended sessions" on auth.user_sessions
    for select to eatsential_job_retention using (expires_at < current_timestamp or revoked_at is not null);
create policy "the retention job removes ended sessions" on auth.user_sessions
    for delete to eatsential_job_retention using (expires_at < current_timestamp or revoked_at is not null);
create policy "the retention job sees spent tokens" on auth.verification_tokens
    for select to eatsential_job_retention using (expires_at < current_timestamp or used_at is not null);
create policy "the retention job removes spent tokens" on auth.verification_tokens
    for delete to eatsential_job_retention using (expires_at < current_timestamp or used_at is not null);
create policy "the retention job sees rotated refresh tokens" on auth.rotated_refresh_tokens
    for select to eatsential_job_retention using (true);
create policy "the retention job removes rotated refresh tokens" on auth.rotated_refresh_tokens
    for delete to eatsential_job_retention using (true);

select lifecycle.cover_tables();
