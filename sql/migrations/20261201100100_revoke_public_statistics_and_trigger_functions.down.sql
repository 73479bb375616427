grant execute on function auth.keep_revocation_final() to public;

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
    execute pg_catalog.format('grant select on %I.pg_stat_statements to public', ext_schema);
    execute pg_catalog.format('grant execute on function %I.pg_stat_statements(boolean) to public', ext_schema);
    if pg_catalog.to_regclass(pg_catalog.format('%I.pg_stat_statements_info', ext_schema)) is not null then
        execute pg_catalog.format('grant select on %I.pg_stat_statements_info to public', ext_schema);
        execute pg_catalog.format('grant execute on function %I.pg_stat_statements_info() to public', ext_schema);
    end if;
end;
$$;
