-- Undo index_session_and_token_owners.

drop index auth.verification_tokens_user_id_idx;
drop index auth.user_sessions_user_id_idx;
