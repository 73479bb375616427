-- Schemas, roles and the helpers every later migration uses.
--
-- Why: the design doc splits the database into four schemas (public, auth, health, audit) and
-- runs the application as roles that do not own the tables, so that row-level security holds.
-- Roles are cluster-wide and shared with other databases on the same server: they are created
-- only when missing (concurrent migrations of two databases may race, hence the handlers), never
-- dropped by a down migration, and no role gets a password here (deploy-time code sets them).

create extension if not exists pgcrypto with schema public;

create schema auth;
create schema health;
create schema audit;

comment on schema auth is 'Identity: sessions, refresh-token rotation, password history, verification tokens.';
comment on schema health is 'Health reference data and the mental-wellness tables.';
comment on schema audit is 'Security events, row changes of sensitive tables, and request access logs.';

do $$
declare
    r record;
begin
    for r in
        select * from (values
            ('eatsential_read', 'nologin'),
            ('eatsential_write', 'nologin'),
            ('eatsential_auth', 'nologin'),
            ('eatsential_admin', 'nologin'),
            ('mental_health_reader', 'nologin'),
            ('eatsential_api', 'login noinherit'),
            ('eatsential_jobs', 'login noinherit')
        ) as v (name, options)
    loop
        if not exists (select 1 from pg_catalog.pg_roles where rolname = r.name) then
            begin
                execute format('create role %I %s', r.name, r.options);
            exception when duplicate_object or unique_violation then
                null; -- created meanwhile by a migration of another database
            end;
        end if;
    end loop;

    for r in
        select * from (values
            ('eatsential_read', 'eatsential_write'),
            ('eatsential_write', 'eatsential_api'),
            ('eatsential_auth', 'eatsential_api'),
            ('eatsential_admin', 'eatsential_jobs')
        ) as v (granted, member)
    loop
        if not exists (
            select 1
            from pg_catalog.pg_auth_members m
            join pg_catalog.pg_roles g on g.oid = m.roleid
            join pg_catalog.pg_roles u on u.oid = m.member
            where g.rolname = r.granted and u.rolname = r.member
        ) then
            begin
                execute format('grant %I to %I', r.granted, r.member);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end;
$$;

grant usage on schema public to eatsential_read, eatsential_auth, eatsential_admin, mental_health_reader;
grant usage on schema health to eatsential_read, eatsential_admin, mental_health_reader;
-- auth.current_user_id() lives in auth and every policy calls it; table grants stay per table.
grant usage on schema auth to eatsential_read, eatsential_auth, eatsential_admin, mental_health_reader;
-- requests write their access-log row from the login role or from the role they run as.
grant usage on schema audit to eatsential_write, eatsential_auth, eatsential_admin, eatsential_api;

-- Not pinned to a search_path on purpose: a plain SQL function is inlined into every policy,
-- so `user_id = auth.current_user_id()` stays an index condition. It only calls pg_catalog.
create function auth.current_user_id()
returns uuid
language sql
stable
parallel safe
as $$
    select nullif(pg_catalog.current_setting('app.current_user_id', true), '')::uuid
$$;

comment on function auth.current_user_id() is
    'The signed-in user of this transaction (set_config(''app.current_user_id'', id, true)); NULL when unset or empty, so policies keyed on it return nothing.';

revoke execute on function auth.current_user_id() from public;
grant execute on function auth.current_user_id() to eatsential_read, eatsential_auth, eatsential_admin, mental_health_reader;

create function public.update_updated_at_column()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    new.updated_at := pg_catalog.now();
    return new;
end;
$$;

comment on function public.update_updated_at_column() is
    'BEFORE UPDATE trigger: stamps updated_at with the transaction time.';

revoke execute on function public.update_updated_at_column() from public;
