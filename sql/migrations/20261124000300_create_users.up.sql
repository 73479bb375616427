-- Accounts (design doc 4.1 users), with what the identity service needs: role, time zone,
-- lockout counters, password age.
--
-- Why the differences from the doc: the doc's UNIQUE(email)/UNIQUE(username) keep a
-- soft-deleted account's address and name forever, and its soft_delete_user rewrote the email to
-- free it (overflowing varchar(255) and breaking chk_email_format). Here uniqueness holds among
-- live accounts only (partial unique indexes), so a soft delete frees both without rewriting
-- anything. Emails are stored lowercased; usernames are unique case-insensitively. The time zone
-- is checked against the server's zone list (daily logs belong to the user's local day).

create table public.users (
    id uuid primary key default gen_random_uuid(),
    username varchar(20) not null,
    email varchar(255) not null,
    password_hash varchar(255) not null,
    role varchar(20) not null default 'user',
    time_zone varchar(64) not null default 'UTC',
    is_email_verified boolean not null default false,
    is_active boolean not null default true,
    failed_login_count integer not null default 0,
    locked_until timestamptz,
    last_login_at timestamptz,
    password_changed_at timestamptz not null default current_timestamp,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,
    deleted_at timestamptz,

    constraint chk_username_format check (username ~ '^[a-zA-Z0-9_]{3,20}$'),
    constraint chk_email_format check (email ~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    constraint users_email_lowercase_check check (email = lower(email)),
    constraint users_role_check check (role in ('user', 'admin')),
    constraint users_failed_login_count_check check (failed_login_count >= 0),
    constraint users_deleted_inactive_check check (deleted_at is null or not is_active)
);

create unique index idx_users_email on public.users (email) where deleted_at is null;
create unique index idx_users_username on public.users (lower(username)) where deleted_at is null;
create index idx_users_created_at on public.users (created_at);
create index idx_active_users on public.users (email) where is_active = true and deleted_at is null;
create index users_deleted_at_idx on public.users (deleted_at) where deleted_at is not null;

comment on table public.users is
    'Accounts. Email and username are unique among accounts that are not soft-deleted; a soft-deleted account is purged by a job.';
comment on column public.users.email is 'Stored lowercased.';
comment on column public.users.time_zone is 'IANA zone name; mood and stress logs take their local_date from it.';
comment on column public.users.password_hash is 'scrypt hash; readable by the identity service and jobs only.';

create function public.check_user_time_zone()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if new.time_zone <> 'UTC'
       and not exists (select 1 from pg_catalog.pg_timezone_names where name = new.time_zone) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'users_time_zone_check',
            schema = tg_table_schema,
            table = tg_table_name,
            column = 'time_zone',
            message = format('%L is not a known time zone', new.time_zone);
    end if;
    return new;
end;
$$;

comment on function public.check_user_time_zone() is
    'BEFORE INSERT/UPDATE trigger: refuses a time zone the server does not know (SQLSTATE 23514, constraint users_time_zone_check).';

revoke execute on function public.check_user_time_zone() from public;

create trigger check_users_time_zone
    before insert or update of time_zone on public.users
    for each row
    execute function public.check_user_time_zone();

create trigger update_users_updated_at
    before update on public.users
    for each row
    execute function public.update_updated_at_column();

alter table public.users enable row level security;

create policy "users read their own account" on public.users
    for select to eatsential_read using (id = auth.current_user_id());
create policy "users change their own account" on public.users
    for update to eatsential_write using (id = auth.current_user_id()) with check (id = auth.current_user_id());

create policy "the identity service reads accounts" on public.users
    for select to eatsential_auth using (auth.current_user_id() is null or id = auth.current_user_id());
create policy "the identity service creates accounts" on public.users
    for insert to eatsential_auth with check (auth.current_user_id() is null or id = auth.current_user_id());
create policy "the identity service changes accounts" on public.users
    for update to eatsential_auth using (auth.current_user_id() is null or id = auth.current_user_id()) with check (auth.current_user_id() is null or id = auth.current_user_id());

-- Administrators list accounts through their own requests (never the password hash: column
-- grants). SECURITY DEFINER so the policy can read the caller's role without recursing on itself.
create function auth.current_user_is_admin()
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select exists (
        select 1 from public.users
        where id = auth.current_user_id() and role = 'admin' and deleted_at is null and is_active
    );
$$;
revoke execute on function auth.current_user_is_admin() from public;
grant execute on function auth.current_user_is_admin() to eatsential_read, eatsential_auth, eatsential_admin;

-- In a sub-select the function runs once per statement (an InitPlan), not once per row.
create policy "administrators read all accounts" on public.users
    for select to eatsential_read using ((select auth.current_user_is_admin()));

create policy "jobs read all accounts" on public.users
    for select to eatsential_admin using (true);
create policy "jobs change any account" on public.users
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any account" on public.users
    for delete to eatsential_admin using (true);

-- A signed-in request sees its own account without the password hash and may change only its
-- username and time zone; everything else goes through the identity service.
grant select (
    id, username, email, role, time_zone, is_email_verified, is_active, failed_login_count,
    locked_until, last_login_at, password_changed_at, created_at, updated_at, deleted_at
) on public.users to eatsential_read;
grant update (username, time_zone) on public.users to eatsential_write;
grant select, insert, update on public.users to eatsential_auth;
grant select, update, delete on public.users to eatsential_admin;
