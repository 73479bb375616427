drop index if exists health.ai_chat_sessions_user_id_started_at_idx;
drop index if exists health.stress_logs_user_id_logged_at_idx;
drop index if exists health.mood_logs_user_id_logged_at_idx;
