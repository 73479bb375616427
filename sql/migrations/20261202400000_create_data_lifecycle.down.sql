-- Roles are cluster-wide and stay (see create_schemas_and_roles); their policies and grants go.
do $$
declare
    r record;
begin
    for r in
        select n.nspname, c.relname, p.polname
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where exists (
            select 1 from pg_roles x where x.oid = any (p.polroles) and x.rolname like 'eatsential\_job\_%')
    loop
        execute format('drop policy %I on %I.%I', r.polname, r.nspname, r.relname);
    end loop;
    for r in
        select n.nspname, c.relname, x.rolname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join pg_roles x
        where x.rolname like 'eatsential\_job\_%' and c.relkind in ('r', 'p')
          and n.nspname in ('public', 'auth', 'health', 'audit')
    loop
        execute format('revoke all on %I.%I from %I', r.nspname, r.relname, r.rolname);
    end loop;
    for r in select rolname from pg_roles where rolname like 'eatsential\_job\_%' loop
        execute format('revoke all on function audit.create_access_log_partition(date) from %I', r.rolname);
        execute format('revoke usage on schema public, auth, health, audit from %I', r.rolname);
        -- column grants
        execute format('revoke all on auth.user_sessions, auth.verification_tokens, auth.rotated_refresh_tokens from %I', r.rolname);
    end loop;
end;
$$;

drop table health.wellness_statistics;
drop schema lifecycle cascade;
grant eatsential_admin to eatsential_jobs;
