-- User consents: what a user agreed to, under which policy version, and when they withdrew it.
--
-- Why: design doc 9.7 requires explicit consent for mental-health data. Tracking mood, stress,
-- sleep and AI chats needs an active 'mental_health_tracking' consent (checked by the insert and
-- update policies of those tables); clinicians (mental_health_reader) see only the rows of users
-- with an active 'mental_health_sharing' consent. Consents are a legal record: a user withdraws
-- one by setting revoked_at, never by deleting it.

create table public.user_consents (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    consent_type varchar(30) not null,
    policy_version varchar(20) not null,
    granted_at timestamptz not null default current_timestamp,
    revoked_at timestamptz,

    constraint user_consents_consent_type_check check (
        consent_type in ('mental_health_tracking', 'mental_health_sharing', 'terms_of_service', 'marketing')
    ),
    constraint user_consents_revoked_at_check check (revoked_at >= granted_at)
);

create unique index user_consents_user_id_consent_type_idx on public.user_consents (user_id, consent_type) where revoked_at is null;
create index user_consents_user_id_granted_at_idx on public.user_consents (user_id, granted_at desc);

comment on table public.user_consents is
    'Consents given and withdrawn; at most one active (revoked_at is null) per user and type.';

alter table public.user_consents enable row level security;

create policy "users read their own consents" on public.user_consents
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users give their own consents" on public.user_consents
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users withdraw their own consents" on public.user_consents
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "jobs read all consents" on public.user_consents
    for select to eatsential_admin using (true);
create policy "jobs change any consent" on public.user_consents
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any consent" on public.user_consents
    for delete to eatsential_admin using (true);

grant select on public.user_consents to eatsential_read, eatsential_admin;
grant insert (user_id, consent_type, policy_version) on public.user_consents to eatsential_write;
grant update (revoked_at) on public.user_consents to eatsential_write;

-- A withdrawn consent stays withdrawn, dated by the server; consenting again is a new row.
create trigger keep_consent_revocation_final
    before update of revoked_at on public.user_consents
    for each row execute function auth.keep_revocation_final();
grant update, delete on public.user_consents to eatsential_admin;

-- SECURITY INVOKER: under eatsential_write, row-level security shows only the caller's own
-- consents, so the answer for anyone else is false.
create function public.has_active_consent(p_user_id uuid, p_consent_type text)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select exists (
        select 1 from public.user_consents c
        where c.user_id = p_user_id
          and c.consent_type = p_consent_type
          and c.revoked_at is null
    )
$$;

comment on function public.has_active_consent(uuid, text) is
    'Whether the user has an active (not revoked) consent of that type, as far as the caller may see.';

revoke execute on function public.has_active_consent(uuid, text) from public;
grant execute on function public.has_active_consent(uuid, text) to eatsential_read, eatsential_admin;
