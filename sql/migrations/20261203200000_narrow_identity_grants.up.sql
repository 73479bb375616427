-- The identity service's role (eatsential_auth) gets only the columns it writes and reads, and
-- password hashes only through two SECURITY DEFINER functions that return one account at a time.
--
-- Why: with table-wide grants and policies that do not filter while no user is set, a leaked
-- credential or an injected statement running as eatsential_auth could `update public.users set
-- role = 'admin'` and read every email and password hash (and every earlier password hash in
-- auth.password_history) in one statement. Now:
-- * public.users: SELECT of the columns its statements name (never email, password_hash); INSERT
--   of what registration writes; UPDATE of the lockout counters, last login, password hash and
--   date, and the verified flag: never role, is_active, email or deleted_at.
-- * auth.credentials_for_login(email): what login, resend and reset requests need of the live
--   account with that address (its row locked for the transaction, so concurrent logins count
--   failures one at a time). No listing: the role cannot read emails, so it must know one.
-- * auth.credentials_for_password_change(user_id): the account a password is being set for, only
--   when the transaction acts for it: a signed-in request of that user, or a transaction that
--   has just spent that user's password-reset token. Its password history is readable on the
--   same condition (auth.may_set_password).
-- * The auth tables: column grants to what the identity statements name; no UPDATE where none
--   is made (rotated refresh tokens, password history).

revoke select, insert, update on public.users from eatsential_auth;
grant select (id, username, role, is_email_verified, is_active, failed_login_count, locked_until, deleted_at)
    on public.users to eatsential_auth;
grant insert (username, email, password_hash, time_zone, password_changed_at) on public.users to eatsential_auth;
grant update (failed_login_count, locked_until, last_login_at, password_hash, password_changed_at, is_email_verified)
    on public.users to eatsential_auth;

revoke select, insert, update on auth.verification_tokens from eatsential_auth;
grant select (id, user_id, token_hash, token_type, expires_at, used_at, created_at),
      insert (user_id, token_hash, token_type, expires_at),
      update (used_at)
    on auth.verification_tokens to eatsential_auth;

revoke select, insert, update on auth.user_sessions from eatsential_auth;
grant select (id, user_id, refresh_token_hash, created_at, expires_at, revoked_at),
      insert (user_id, refresh_token_hash, device_name, user_agent, ip_address, expires_at),
      update (refresh_token_hash, last_used_at, expires_at, revoked_at, revoked_reason)
    on auth.user_sessions to eatsential_auth;

revoke select, insert, update on auth.rotated_refresh_tokens from eatsential_auth;
grant select (token_hash, session_id), insert (token_hash, session_id) on auth.rotated_refresh_tokens to eatsential_auth;

revoke select, insert, update on auth.password_history from eatsential_auth;
grant select (id, user_id, password_hash, created_at), insert (user_id, password_hash)
    on auth.password_history to eatsential_auth;

revoke select, insert, update on auth.registration_attempt_emails from eatsential_auth;
grant select (user_id, sent_at), insert (user_id), update (sent_at) on auth.registration_attempt_emails to eatsential_auth;

-- True when this transaction acts for the account: it is that user's signed-in request, or no
-- user is set and it has spent one of the account's password-reset tokens (used_at is the
-- transaction's start, now()).
create function auth.may_set_password(p_user_id uuid)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select case
        when auth.current_user_id() is not null then p_user_id = auth.current_user_id()
        else exists (
            select 1 from auth.verification_tokens t
            where t.user_id = p_user_id and t.token_type = 'password_reset' and t.used_at = pg_catalog.now()
        )
    end;
$$;

comment on function auth.may_set_password(uuid) is
    'Whether this transaction acts for the account: its own signed-in request, or one that spent its password-reset token.';

create function auth.credentials_for_login(p_email text)
returns table (
    id uuid, password_hash varchar, is_email_verified boolean, is_active boolean, role varchar, locked_for integer
)
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select u.id, u.password_hash, u.is_email_verified, u.is_active, u.role,
           case when u.locked_until > pg_catalog.now()
                then pg_catalog.ceil(extract(epoch from u.locked_until - pg_catalog.now()))::integer end
    from public.users u
    where u.email = pg_catalog.lower(p_email) and u.deleted_at is null
      and (auth.current_user_id() is null or u.id = auth.current_user_id())
    for update of u;
$$;

comment on function auth.credentials_for_login(text) is
    'The live account with this email, as login needs it (locked_until as seconds left); the row is locked for the transaction.';

create function auth.credentials_for_password_change(p_user_id uuid)
returns table (
    id uuid, username varchar, email varchar, password_hash varchar, is_email_verified boolean, is_active boolean,
    role varchar, locked_for integer
)
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select u.id, u.username, u.email, u.password_hash, u.is_email_verified, u.is_active, u.role,
           case when u.locked_until > pg_catalog.now()
                then pg_catalog.ceil(extract(epoch from u.locked_until - pg_catalog.now()))::integer end
    from public.users u
    where u.id = p_user_id and u.deleted_at is null and auth.may_set_password(p_user_id)
    for update of u;
$$;

comment on function auth.credentials_for_password_change(uuid) is
    'The live account a password is being set for (nothing unless auth.may_set_password); the row is locked for the transaction.';

revoke execute on function auth.may_set_password(uuid), auth.credentials_for_login(text),
    auth.credentials_for_password_change(uuid) from public;
grant execute on function auth.may_set_password(uuid), auth.credentials_for_login(text),
    auth.credentials_for_password_change(uuid) to eatsential_auth;

drop policy "the identity service reads password history" on auth.password_history;
drop policy "the identity service changes password history" on auth.password_history;
create policy "the identity service reads the password history it sets a password for" on auth.password_history
    for select to eatsential_auth using (auth.may_set_password(user_id));
