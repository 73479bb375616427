drop policy "the identity service reads the password history it sets a password for" on auth.password_history;
create policy "the identity service reads password history" on auth.password_history
    for select to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service changes password history" on auth.password_history
    for update to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id()) with check (auth.current_user_id() is null or user_id = auth.current_user_id());

drop function auth.credentials_for_password_change(uuid);
drop function auth.credentials_for_login(text);
drop function auth.may_set_password(uuid);

-- Revoking a table privilege also revokes it on every column.
revoke all on public.users, auth.verification_tokens, auth.user_sessions, auth.rotated_refresh_tokens,
    auth.password_history, auth.registration_attempt_emails from eatsential_auth;
grant select, insert, update on public.users, auth.verification_tokens, auth.user_sessions, auth.rotated_refresh_tokens,
    auth.password_history, auth.registration_attempt_emails to eatsential_auth;
