-- Audit tables: security events, row changes of sensitive tables, request access logs.
--
-- Why: design doc 10.3 and 6.2. Fixes to the doc: access_logs is partitioned by month, so its
-- primary key must include the partition key (id, accessed_at) and accessed_at must be NOT NULL;
-- dated partitions are made by a scheduled job through audit.create_access_log_partition (no
-- pg_cron), with a default partition as a safety net whose rows the job moves into their month.
-- audit_changes() is SECURITY DEFINER, so application roles never hold a grant on data_changes,
-- and it reads the acting user NULL-safely (the doc's ::uuid cast fails on an empty setting).
-- No user_id here references public.users: audit rows outlive purged accounts.

create table audit.audit_logs (
    id uuid primary key default gen_random_uuid(),
    user_id uuid,
    event varchar(50) not null,
    detail jsonb not null default '{}'::jsonb,
    ip inet,
    occurred_at timestamptz not null default current_timestamp,

    constraint audit_logs_event_check check (event ~ '^[a-z][a-z0-9_.]*$'),
    constraint audit_logs_detail_check check (jsonb_typeof(detail) = 'object')
);

create index audit_logs_user_id_occurred_at_idx on audit.audit_logs (user_id, occurred_at desc);
create index audit_logs_occurred_at_idx on audit.audit_logs using brin (occurred_at);

comment on table audit.audit_logs is
    'Security events (login, lockout, password change, token reuse...). detail never holds a secret, token or note.';

create table audit.data_changes (
    id uuid primary key default gen_random_uuid(),
    schema_name text not null,
    table_name text not null,
    operation varchar(6) not null,
    user_id uuid,
    db_role text,
    subject_user_id uuid,
    record_id uuid,
    old_data jsonb,
    new_data jsonb,
    changed_at timestamptz not null default current_timestamp,

    constraint data_changes_operation_check check (operation in ('INSERT', 'UPDATE', 'DELETE')),
    constraint data_changes_rows_check check (
        (operation = 'INSERT' and old_data is null and new_data is not null)
        or (operation = 'UPDATE' and old_data is not null and new_data is not null)
        or (operation = 'DELETE' and old_data is not null and new_data is null)
    )
);

create index data_changes_changed_at_idx on audit.data_changes using brin (changed_at);
create index data_changes_subject_user_id_idx on audit.data_changes (subject_user_id);
create index data_changes_table_name_record_id_idx on audit.data_changes (table_name, record_id);

comment on table audit.data_changes is
    'Row changes of sensitive tables, written by audit_changes(): acting user (app.current_user_id), role, the user the row belongs to, old and new row without encrypted columns.';
comment on column audit.data_changes.user_id is 'Who acted: app.current_user_id of the transaction, NULL for jobs and the identity service.';
comment on column audit.data_changes.db_role is 'The role the transaction ran as (SET ROLE), e.g. eatsential_write.';
comment on column audit.data_changes.subject_user_id is 'Whose data it is (the row''s user_id), so an account purge can find its audit rows.';

create table audit.access_logs (
    id uuid not null default gen_random_uuid(),
    user_id uuid,
    session_id uuid,
    ip_address inet,
    user_agent text,
    endpoint varchar(255),
    method varchar(10),
    status_code integer,
    response_time_ms integer,
    error_message text,
    accessed_at timestamptz not null default current_timestamp,

    constraint access_logs_pkey primary key (id, accessed_at),
    constraint access_logs_method_check check (method in ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
    constraint access_logs_status_code_check check (status_code between 100 and 599),
    constraint access_logs_response_time_ms_check check (response_time_ms >= 0),
    constraint access_logs_endpoint_check check (endpoint like '/%'),
    constraint access_logs_user_agent_check check (char_length(user_agent) <= 512),
    constraint access_logs_error_message_check check (char_length(error_message) <= 1000)
) partition by range (accessed_at);

create table audit.access_logs_default partition of audit.access_logs default;

create index access_logs_accessed_at_idx on audit.access_logs using brin (accessed_at);
create index access_logs_user_id_accessed_at_idx on audit.access_logs (user_id, accessed_at);

comment on table audit.access_logs is
    'One row per API request, partitioned by UTC month (audit.access_logs_YYYY_MM, made by the partitions job).';
comment on table audit.access_logs_default is
    'Rows of months whose partition does not exist yet; create_access_log_partition moves them out.';
comment on column audit.access_logs.endpoint is 'The route template (/me/sessions/{sessionId}), never the raw path with ids.';
comment on column audit.access_logs.error_message is 'The problem code or a client-safe message; never a secret, token or request body.';

create function audit.create_access_log_partition(p_month date)
returns text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_start date;
    v_name text;
    v_from text;
    v_to text;
begin
    if p_month is null then
        raise exception using errcode = 'null_value_not_allowed', message = 'p_month must not be null';
    end if;

    v_start := pg_catalog.date_trunc('month', p_month::timestamp)::date;
    v_name := 'access_logs_' || pg_catalog.to_char(v_start, 'YYYY_MM');
    -- bounds as UTC instants, whatever the caller's TimeZone and DateStyle
    v_from := pg_catalog.to_char(v_start, 'YYYY-MM-DD') || ' 00:00:00+00';
    v_to := pg_catalog.to_char((v_start + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';

    -- no insert may route a row of this month into the default partition while it moves
    lock table audit.access_logs_default in exclusive mode;

    if exists (
        select 1 from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'audit' and c.relname = v_name
    ) then
        return 'exists';
    end if;

    execute format(
        'create table audit.%I (like audit.access_logs including defaults including constraints)',
        v_name
    );
    execute format(
        'with moved as (delete from audit.access_logs_default where accessed_at >= %L::timestamptz and accessed_at < %L::timestamptz returning *)
         insert into audit.%I select * from moved',
        v_from, v_to, v_name
    );
    execute format(
        'alter table audit.access_logs attach partition audit.%I for values from (%L) to (%L)',
        v_name, v_from, v_to
    );
    return 'created';
end;
$$;

comment on function audit.create_access_log_partition(date) is
    'Idempotent: makes audit.access_logs_YYYY_MM for the UTC month of p_month, moving that month''s rows out of the default partition first. Returns created or exists.';

revoke execute on function audit.create_access_log_partition(date) from public;
grant execute on function audit.create_access_log_partition(date) to eatsential_admin;

-- Trigger arguments name columns to leave out of old_data/new_data (encrypted notes).
create function public.audit_changes()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_strip text[] := coalesce(tg_argv, '{}'::text[]);
    v_old jsonb;
    v_new jsonb;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        v_old := pg_catalog.to_jsonb(old) - v_strip;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        v_new := pg_catalog.to_jsonb(new) - v_strip;
    end if;

    insert into audit.data_changes (
        schema_name, table_name, operation, user_id, db_role, subject_user_id, record_id, old_data, new_data
    ) values (
        tg_table_schema,
        tg_table_name,
        tg_op,
        auth.current_user_id(),
        pg_catalog.current_setting('role'),
        coalesce(v_new ->> 'user_id', v_old ->> 'user_id')::uuid,
        coalesce(v_new ->> 'id', v_old ->> 'id')::uuid,
        v_old,
        v_new
    );
    return null;
end;
$$;

comment on function public.audit_changes() is
    'AFTER INSERT/UPDATE/DELETE row trigger: writes audit.data_changes. Arguments: columns to strip from the copied rows.';

revoke execute on function public.audit_changes() from public;

-- Access-log rows are written by the API's login role once a request is over, outside the
-- request's transaction: the roles a request runs as cannot write them (nor forge one for another user).
grant insert on audit.access_logs to eatsential_api;
grant insert on audit.audit_logs to eatsential_write, eatsential_auth;

-- Security events: a signed-in request records events of its own user only.
alter table audit.audit_logs enable row level security;
create policy "users record their own security events" on audit.audit_logs
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "the identity service records security events" on audit.audit_logs
    for insert to eatsential_auth with check (true);
create policy "jobs read security events" on audit.audit_logs
    for select to eatsential_admin using (true);
create policy "jobs delete security events" on audit.audit_logs
    for delete to eatsential_admin using (true);
grant select, delete on audit.access_logs, audit.audit_logs, audit.data_changes to eatsential_admin;
