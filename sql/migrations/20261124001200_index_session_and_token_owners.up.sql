-- Plain indexes on the owner of sessions and verification tokens.
--
-- Why: their user_id indexes are partial (open sessions, unused tokens), which a lookup by
-- user_id alone cannot use: deleting an account (the purge job, cascading from public.users) and
-- "every session of this user" scanned the whole table.

create index user_sessions_user_id_idx on auth.user_sessions (user_id);
create index verification_tokens_user_id_idx on auth.verification_tokens (user_id);
