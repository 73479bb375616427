-- pg_stat_statements (design doc 5.3, appendix B): the server preloads it (the RDS parameter
-- group); its view exists once the extension is created in the database. Created only where the
-- server ships it: the embedded PGlite does not.
do $$
begin
    if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_stat_statements') then
        create extension if not exists pg_stat_statements with schema public;
    end if;
end;
$$;
