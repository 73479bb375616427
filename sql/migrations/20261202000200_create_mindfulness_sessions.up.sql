-- Mindfulness sessions: what a mindfulness_practice goal counts.
--
-- Why: the doc has a mindfulness_practice goal type (9.2) with units minutes and days_per_week, but
-- no table to count practice in. One row per session, as mood_logs is one row per mood entry:
-- its kind, its length in minutes, when it happened and the person's local day then (set by the
-- same trigger as mood and stress logs), and an optional note, ciphertext only. Writing needs an
-- active mental_health_tracking consent, as on every mental-wellness table.

create table health.mindfulness_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    practice varchar(30) not null,
    duration_minutes integer not null,
    notes_encrypted bytea,
    notes_key_version smallint,
    logged_at timestamptz not null default current_timestamp,
    local_date date not null,
    created_at timestamptz not null default current_timestamp,

    constraint mindfulness_sessions_practice_check check (
        practice in ('meditation', 'breathing', 'body_scan', 'yoga', 'mindful_walk', 'other')
    ),
    constraint mindfulness_sessions_duration_minutes_check check (duration_minutes between 1 and 600),
    constraint mindfulness_sessions_notes_length_check check (octet_length(notes_encrypted) <= 4096),
    constraint mindfulness_sessions_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    )
);

create index mindfulness_sessions_user_id_local_date_idx on health.mindfulness_sessions (user_id, local_date);

comment on table health.mindfulness_sessions is
    'Mindfulness practice sessions (what mindfulness_practice goals count). local_date as in mood_logs. Notes are ciphertext only.';

create trigger set_mindfulness_sessions_local_date
    before insert or update of logged_at, user_id, local_date on health.mindfulness_sessions
    for each row
    execute function health.set_local_date();

create trigger audit_mindfulness_sessions
    after insert or update or delete on health.mindfulness_sessions
    for each row
    execute function public.audit_changes('notes_encrypted');

alter table health.mindfulness_sessions enable row level security;

create policy "users read their own mindfulness sessions" on health.mindfulness_sessions
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users log their own mindfulness sessions" on health.mindfulness_sessions
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users change their own mindfulness sessions" on health.mindfulness_sessions
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own mindfulness sessions" on health.mindfulness_sessions
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see mindfulness sessions of users who share them" on health.mindfulness_sessions
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all mindfulness sessions" on health.mindfulness_sessions
    for select to eatsential_admin using (true);
create policy "jobs change any mindfulness session" on health.mindfulness_sessions
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any mindfulness session" on health.mindfulness_sessions
    for delete to eatsential_admin using (true);

grant select on health.mindfulness_sessions to eatsential_read, eatsential_admin, mental_health_reader;
grant insert, update, delete on health.mindfulness_sessions to eatsential_write;
grant update, delete on health.mindfulness_sessions to eatsential_admin;
