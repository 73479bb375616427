-- Undo create_auth_tables.

drop function public.soft_delete_user(uuid);
drop table auth.password_history;
drop table auth.rotated_refresh_tokens;
drop table auth.user_sessions;
drop function auth.keep_revocation_final();
drop table auth.verification_tokens;
