-- A person's lists page newest first by (time, id) under row-level security (user_id =
-- auth.current_user_id()). The indexes on user_id alone or (user_id, local_date) find the rows but
-- not in that order, and the one on the time alone gives the order for everybody's rows, which the
-- planner walks, filtering out everyone else's, once a table is large (test/db/plans.test.ts).
-- These serve both: the person's rows, already in page order, so LIMIT stops after one page.
create index mood_logs_user_id_logged_at_idx on health.mood_logs (user_id, logged_at desc, id desc);
create index stress_logs_user_id_logged_at_idx on health.stress_logs (user_id, logged_at desc, id desc);
create index ai_chat_sessions_user_id_started_at_idx on health.ai_chat_sessions (user_id, started_at desc, id desc);
