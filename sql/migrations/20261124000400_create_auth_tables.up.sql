-- Identity tables (design doc 3.2 auth schema, 4.3 verification_tokens) and soft_delete_user (7.1).
--
-- Why: tokens are stored only as SHA-256 hashes (the doc stored verification tokens in clear, so
-- a read of the table was a way into every unverified account). Refresh tokens rotate: each use
-- replaces the session's hash and keeps the old one in rotated_refresh_tokens; presenting a
-- rotated token means it was stolen, and the identity service revokes the session.
-- soft_delete_user no longer rewrites the email (see create_users); it revokes every session.

create table auth.verification_tokens (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    token_hash bytea not null,
    token_type varchar(20) not null,
    new_email varchar(255),
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default current_timestamp,

    constraint verification_tokens_token_hash_key unique (token_hash),
    constraint verification_tokens_token_hash_check check (octet_length(token_hash) = 32),
    constraint chk_token_type check (token_type in ('email_verify', 'password_reset', 'email_change')),
    constraint chk_token_expiry check (expires_at > created_at),
    constraint verification_tokens_new_email_check check (
        case when token_type = 'email_change' then new_email is not null and new_email = lower(new_email) else new_email is null end
    )
);

create index verification_tokens_user_id_token_type_idx on auth.verification_tokens (user_id, token_type) where used_at is null;
create index idx_verification_tokens_expires on auth.verification_tokens (expires_at) where used_at is null;

comment on table auth.verification_tokens is
    'One-time tokens for email verification, password reset and email change, stored as SHA-256 of the token sent by mail.';
comment on column auth.verification_tokens.new_email is 'The address an email_change token confirms.';

create table auth.user_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    refresh_token_hash bytea not null,
    device_name varchar(100),
    user_agent varchar(512),
    ip_address inet,
    created_at timestamptz not null default current_timestamp,
    last_used_at timestamptz not null default current_timestamp,
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason varchar(30),

    constraint user_sessions_refresh_token_hash_key unique (refresh_token_hash),
    constraint user_sessions_refresh_token_hash_check check (octet_length(refresh_token_hash) = 32),
    constraint user_sessions_expires_at_check check (expires_at > created_at),
    constraint user_sessions_revoked_reason_check check (
        revoked_reason in ('logout', 'user_revoked', 'password_changed', 'password_reset', 'token_reuse', 'account_deleted')
    ),
    constraint user_sessions_revoked_check check ((revoked_at is null) = (revoked_reason is null))
);

create index user_sessions_user_id_created_at_idx on auth.user_sessions (user_id, created_at desc) where revoked_at is null;
create index user_sessions_expires_at_idx on auth.user_sessions (expires_at);

comment on table auth.user_sessions is
    'Signed-in devices. refresh_token_hash is SHA-256 of the current refresh token; a revoked session refreshes no more.';

create table auth.rotated_refresh_tokens (
    token_hash bytea primary key,
    session_id uuid not null references auth.user_sessions (id) on delete cascade,
    rotated_at timestamptz not null default current_timestamp,

    constraint rotated_refresh_tokens_token_hash_check check (octet_length(token_hash) = 32)
);

create index rotated_refresh_tokens_session_id_idx on auth.rotated_refresh_tokens (session_id);

comment on table auth.rotated_refresh_tokens is
    'Refresh tokens already exchanged. Presenting one again means theft: the identity service revokes its session (token_reuse).';

create table auth.password_history (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    password_hash text not null,
    created_at timestamptz not null default current_timestamp
);

create index password_history_user_id_created_at_idx on auth.password_history (user_id, created_at desc);

comment on table auth.password_history is 'Earlier password hashes of a user, so a new password cannot repeat a recent one.';

alter table auth.verification_tokens enable row level security;
alter table auth.user_sessions enable row level security;
alter table auth.rotated_refresh_tokens enable row level security;
alter table auth.password_history enable row level security;

-- The identity service works before a user is known (login, verify, reset, refresh): it finds
-- rows by token hash or email, so with no user set its policies do not filter. Inside a signed-in
-- request (a password change) they confine it to that user's rows.
create policy "the identity service reads verification tokens" on auth.verification_tokens
    for select to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service issues verification tokens" on auth.verification_tokens
    for insert to eatsential_auth with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service uses verification tokens" on auth.verification_tokens
    for update to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id()) with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "jobs read all verification tokens" on auth.verification_tokens
    for select to eatsential_admin using (true);
create policy "jobs change any verification token" on auth.verification_tokens
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any verification token" on auth.verification_tokens
    for delete to eatsential_admin using (true);

create policy "users read their own sessions" on auth.user_sessions
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users revoke their own sessions" on auth.user_sessions
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "the identity service reads sessions" on auth.user_sessions
    for select to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service opens sessions" on auth.user_sessions
    for insert to eatsential_auth with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service rotates and revokes sessions" on auth.user_sessions
    for update to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id()) with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "jobs read all sessions" on auth.user_sessions
    for select to eatsential_admin using (true);
create policy "jobs change any session" on auth.user_sessions
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any session" on auth.user_sessions
    for delete to eatsential_admin using (true);

create policy "the identity service reads rotated refresh tokens" on auth.rotated_refresh_tokens
    for select to eatsential_auth using (auth.current_user_id() is null or exists (
        select 1 from auth.user_sessions s where s.id = session_id and s.user_id = auth.current_user_id()));
create policy "the identity service records rotated refresh tokens" on auth.rotated_refresh_tokens
    for insert to eatsential_auth with check (auth.current_user_id() is null or exists (
        select 1 from auth.user_sessions s where s.id = session_id and s.user_id = auth.current_user_id()));
create policy "the identity service changes rotated refresh tokens" on auth.rotated_refresh_tokens
    for update to eatsential_auth using (auth.current_user_id() is null or exists (
        select 1 from auth.user_sessions s where s.id = session_id and s.user_id = auth.current_user_id())) with check (auth.current_user_id() is null or exists (
        select 1 from auth.user_sessions s where s.id = session_id and s.user_id = auth.current_user_id()));
create policy "jobs read all rotated refresh tokens" on auth.rotated_refresh_tokens
    for select to eatsential_admin using (true);
create policy "jobs change any rotated refresh token" on auth.rotated_refresh_tokens
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any rotated refresh token" on auth.rotated_refresh_tokens
    for delete to eatsential_admin using (true);

create policy "the identity service reads password history" on auth.password_history
    for select to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service records password history" on auth.password_history
    for insert to eatsential_auth with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service changes password history" on auth.password_history
    for update to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id()) with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "jobs read all password history" on auth.password_history
    for select to eatsential_admin using (true);
create policy "jobs change any password history" on auth.password_history
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any password history" on auth.password_history
    for delete to eatsential_admin using (true);

grant select, insert, update on auth.verification_tokens, auth.user_sessions, auth.rotated_refresh_tokens, auth.password_history
    to eatsential_auth;
grant select, update, delete on auth.verification_tokens, auth.user_sessions, auth.rotated_refresh_tokens, auth.password_history
    to eatsential_admin;
-- "my devices": a signed-in user lists and revokes own sessions, never sees the token hash.
grant select (
    id, user_id, device_name, user_agent, ip_address, created_at, last_used_at, expires_at, revoked_at, revoked_reason
) on auth.user_sessions to eatsential_read;
grant update (revoked_at, revoked_reason) on auth.user_sessions to eatsential_write;

-- A revocation is final and dated by the server: a user may end their own session but never
-- revive one (a session revoked for token reuse stays revoked) or back-date the revocation.
create function auth.keep_revocation_final()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if old.revoked_at is not null
       and (new.revoked_at is distinct from old.revoked_at
            or to_jsonb(new) -> 'revoked_reason' is distinct from to_jsonb(old) -> 'revoked_reason') then
        raise exception using
            errcode = 'check_violation',
            constraint = tg_table_name || '_revocation_final_check',
            schema = tg_table_schema,
            table = tg_table_name,
            message = 'A revocation is final';
    end if;
    if old.revoked_at is null and new.revoked_at is not null then
        new.revoked_at := current_timestamp;
    end if;
    return new;
end;
$$;

comment on function auth.keep_revocation_final() is
    'BEFORE UPDATE: revoked_at (and revoked_reason) cannot change once set; a new revocation is stamped with the transaction time.';

create trigger keep_session_revocation_final
    before update of revoked_at, revoked_reason on auth.user_sessions
    for each row execute function auth.keep_revocation_final();

create function public.soft_delete_user(p_user_id uuid)
returns boolean
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_found boolean;
begin
    if p_user_id is null or p_user_id is distinct from auth.current_user_id() then
        raise exception using
            errcode = 'insufficient_privilege',
            message = 'an account can be deleted only in a transaction acting as that user (app.current_user_id)';
    end if;

    update public.users
    set deleted_at = pg_catalog.now(), is_active = false
    where id = p_user_id and deleted_at is null;
    v_found := found;

    if v_found then
        update auth.user_sessions
        set revoked_at = pg_catalog.now(), revoked_reason = 'account_deleted'
        where user_id = p_user_id and revoked_at is null;

        update auth.verification_tokens
        set used_at = pg_catalog.now()
        where user_id = p_user_id and used_at is null;
    end if;

    return v_found;
end;
$$;

comment on function public.soft_delete_user(uuid) is
    'Marks the account deleted and inactive, revokes all its sessions (account_deleted) and outstanding tokens. The email and username become free at once (uniqueness covers live accounts only); the purge job removes the row later. Only a transaction acting as that user may call it (42501 otherwise). Returns false if already deleted or unknown.';

revoke execute on function public.soft_delete_user(uuid) from public;
grant execute on function public.soft_delete_user(uuid) to eatsential_write, eatsential_admin;
