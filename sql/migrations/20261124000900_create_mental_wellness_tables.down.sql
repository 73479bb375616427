-- Undo create_mental_wellness_tables.

drop function public.decrypt_mental_health_note(bytea, text);
drop function public.encrypt_mental_health_note(text, text);
drop table health.ai_chat_sessions;
drop table health.sleep_logs;
drop table health.stress_logs;
drop table health.mood_logs;
drop table health.mental_wellness_goals;
drop function health.shares_mental_health(uuid);
drop function health.set_local_date();
