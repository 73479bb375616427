-- Objects PUBLIC could still reach, so every role the application logs in as or runs as:
-- - pg_stat_statements (created in 20261124090100 where the server ships it): its views and
--   reading functions are granted to PUBLIC by the extension, and the statement texts it keeps
--   tell an attacker the schema and the queries. Operators read it as the master user; no
--   application role needs it, so nothing is granted back. Only where the extension exists: the
--   embedded PGlite has none.
-- - auth.keep_revocation_final(), a trigger function (functions get EXECUTE for PUBLIC when
--   created). A trigger runs its function without checking EXECUTE, so triggers keep working.

revoke execute on function auth.keep_revocation_final() from public;

do $$
declare
    ext_schema text;
begin
    select n.nspname into ext_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pg_stat_statements';
    if ext_schema is null then
        return;
    end if;
    execute pg_catalog.format('revoke select on %I.pg_stat_statements from public', ext_schema);
    execute pg_catalog.format('revoke execute on function %I.pg_stat_statements(boolean) from public', ext_schema);
    if pg_catalog.to_regclass(pg_catalog.format('%I.pg_stat_statements_info', ext_schema)) is not null then
        execute pg_catalog.format('revoke select on %I.pg_stat_statements_info from public', ext_schema);
        execute pg_catalog.format('revoke execute on function %I.pg_stat_statements_info() from public', ext_schema);
    end if;
end;
$$;
