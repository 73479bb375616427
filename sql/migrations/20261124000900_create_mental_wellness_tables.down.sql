-- Undo create_mental_wellness_tables.

revoke execute on function public.pgp_sym_decrypt(bytea, text) from mental_health_reader;
do $$
declare
    f regprocedure;
begin
    for f in
        select p.oid::regprocedure
        from pg_catalog.pg_proc p
        join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
        join pg_catalog.pg_extension e on e.oid = d.refobjid and e.extname = 'pgcrypto'
        where p.proname like '%decrypt%'
    loop
        execute format('grant execute on function %s to public', f);
    end loop;
end;
$$;

drop function public.decrypt_mental_health_note(bytea, text);
drop function public.encrypt_mental_health_note(text, text);
drop table health.ai_chat_sessions;
drop table health.sleep_logs;
drop table health.stress_logs;
drop table health.mood_logs;
drop table health.mental_wellness_goals;
drop function health.shares_mental_health(uuid);
drop function health.set_local_date();
