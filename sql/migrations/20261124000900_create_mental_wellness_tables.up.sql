-- Mental-wellness tables (doc 9.2-9.4, 9.6): goals, mood, stress and sleep logs, AI chat sessions;
-- the note encryption functions (9.7).
--
-- Why the differences from the doc:
-- * Free-text notes and chat summaries are never stored in plaintext: notes_encrypted and
--   context_summary_encrypted hold ciphertext made by the application with a versioned key
--   (notes_key_version says which), so key rotation can re-encrypt in batches. The doc's
--   LENGTH(notes) checks become size checks on the ciphertext under the same names.
-- * DATE(logged_at) in an index is not immutable for timestamptz (it depends on the session time
--   zone), so PostgreSQL refuses it; it would also be the server's day, not the user's.
--   mood_logs and stress_logs get local_date, the day at the user's time zone when logged, set by
--   a trigger, and the index is (user_id, local_date).
-- * sleep_logs.duration_hours was wake_time - bedtime: negative across midnight. Crossing
--   midnight now adds 24 hours (23:30 -> 07:00 is 7.50).
-- * Writing needs an active 'mental_health_tracking' consent: the insert and update policies
--   check it, so a write without one fails like any other policy violation (SQLSTATE 42501).
-- * Every change is audited, without the ciphertext.
-- * encrypt/decrypt_mental_health_note were SECURITY DEFINER without a search_path, which buys
--   nothing (pgcrypto needs no privilege) and lets a caller's search_path hijack them; they are
--   SECURITY INVOKER with a pinned search_path, and use AES-256 as 9.7 says (pgp_sym_encrypt
--   defaults to AES-128).

create table health.mental_wellness_goals (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    goal_type varchar(50) not null,
    target_value numeric(5, 2) not null,
    target_unit varchar(20) not null,
    frequency varchar(20) not null,
    start_date date not null default current_date,
    end_date date,
    status varchar(20) not null default 'ACTIVE',
    notes_encrypted bytea,
    notes_key_version smallint,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint chk_goal_type check (goal_type in ('mood_improvement', 'stress_reduction', 'sleep_quality', 'sleep_duration', 'mindfulness_practice')),
    constraint chk_target_value_positive check (target_value > 0),
    constraint chk_target_unit check (target_unit in ('score', 'hours', 'minutes', 'days_per_week')),
    constraint chk_frequency check (frequency in ('daily', 'weekly', 'monthly')),
    constraint chk_status check (status in ('ACTIVE', 'PAUSED', 'COMPLETED', 'ABANDONED')),
    constraint chk_date_range check (end_date is null or end_date >= start_date),
    constraint chk_notes_length check (octet_length(notes_encrypted) <= 4096),
    constraint mental_wellness_goals_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    )
);

create index idx_mental_goals_user_id on health.mental_wellness_goals (user_id);
create index idx_mental_goals_status on health.mental_wellness_goals (status) where status = 'ACTIVE';
create index idx_mental_goals_type on health.mental_wellness_goals (goal_type);

comment on table health.mental_wellness_goals is
    'Mental-wellness goals (mood, stress, sleep, mindfulness). Notes are ciphertext only.';

create table health.mood_logs (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    mood_score integer not null,
    mood_label varchar(20) not null,
    energy_level integer,
    context varchar(100),
    notes_encrypted bytea,
    notes_key_version smallint,
    logged_at timestamptz not null default current_timestamp,
    local_date date not null,
    created_at timestamptz not null default current_timestamp,

    constraint chk_mood_score check (mood_score between 1 and 10),
    constraint chk_mood_label check (mood_label in ('very_poor', 'poor', 'neutral', 'good', 'excellent')),
    constraint chk_energy_level check (energy_level is null or energy_level between 1 and 10),
    constraint chk_context_length check (length(context) <= 100),
    constraint chk_notes_length check (octet_length(notes_encrypted) <= 4096),
    constraint mood_logs_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    )
);

create index idx_mood_logs_user_id on health.mood_logs (user_id);
create index idx_mood_logs_logged_at on health.mood_logs (logged_at desc);
create index idx_mood_logs_user_date on health.mood_logs (user_id, local_date);

comment on table health.mood_logs is
    'Mood entries. local_date is the day at the user''s time zone when logged (set by trigger). Notes are ciphertext only.';

create table health.stress_logs (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    stress_level integer not null,
    stress_label varchar(20) not null,
    triggers text[],
    coping_strategies text[],
    notes_encrypted bytea,
    notes_key_version smallint,
    logged_at timestamptz not null default current_timestamp,
    local_date date not null,
    created_at timestamptz not null default current_timestamp,

    constraint chk_stress_level check (stress_level between 1 and 10),
    constraint chk_stress_label check (stress_label in ('minimal', 'low', 'moderate', 'high', 'severe')),
    constraint chk_triggers_count check (array_length(triggers, 1) is null or array_length(triggers, 1) <= 10),
    constraint chk_coping_count check (array_length(coping_strategies, 1) is null or array_length(coping_strategies, 1) <= 10),
    constraint chk_notes_length check (octet_length(notes_encrypted) <= 4096),
    constraint stress_logs_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    )
);

create index idx_stress_logs_user_id on health.stress_logs (user_id);
create index idx_stress_logs_logged_at on health.stress_logs (logged_at desc);
create index idx_stress_logs_user_date on health.stress_logs (user_id, local_date);
create index idx_stress_logs_level on health.stress_logs (stress_level) where stress_level >= 7;

comment on table health.stress_logs is
    'Stress entries with triggers and coping strategies. local_date as in mood_logs. Notes are ciphertext only.';

create table health.sleep_logs (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    sleep_date date not null,
    bedtime time not null,
    wake_time time not null,
    duration_hours numeric(4, 2) generated always as (
        extract(epoch from (
            wake_time - bedtime
            + case when wake_time < bedtime then interval '24 hours' else interval '0' end
        )) / 3600
    ) stored,
    quality_score integer not null,
    quality_label varchar(20) not null,
    interruptions integer default 0,
    notes_encrypted bytea,
    notes_key_version smallint,
    logged_at timestamptz not null default current_timestamp,
    created_at timestamptz not null default current_timestamp,

    constraint chk_quality_score check (quality_score between 1 and 10),
    constraint chk_quality_label check (quality_label in ('very_poor', 'poor', 'fair', 'good', 'excellent')),
    constraint chk_interruptions_range check (interruptions between 0 and 20),
    constraint chk_notes_length check (octet_length(notes_encrypted) <= 4096),
    constraint sleep_logs_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    ),
    constraint sleep_logs_wake_time_check check (wake_time <> bedtime),
    constraint uq_user_sleep_date unique (user_id, sleep_date)
);

create index idx_sleep_logs_user_id on health.sleep_logs (user_id);
create index idx_sleep_logs_sleep_date on health.sleep_logs (sleep_date desc);
create index idx_sleep_logs_user_date on health.sleep_logs (user_id, sleep_date desc);
create index idx_sleep_logs_quality on health.sleep_logs (quality_score) where quality_score <= 3;

comment on table health.sleep_logs is
    'One sleep entry per user and night (sleep_date: the night''s date). duration_hours crosses midnight. Notes are ciphertext only.';

create table health.ai_chat_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    session_title varchar(200),
    context_summary_encrypted bytea,
    context_summary_key_version smallint,
    message_count integer not null default 0,
    total_tokens_used integer not null default 0,
    llm_model varchar(50) not null,
    started_at timestamptz not null default current_timestamp,
    last_message_at timestamptz not null default current_timestamp,
    ended_at timestamptz,
    status varchar(20) not null default 'ACTIVE',
    created_at timestamptz not null default current_timestamp,

    constraint chk_message_count check (message_count >= 0),
    constraint chk_tokens check (total_tokens_used >= 0),
    constraint chk_llm_model check (llm_model in ('gpt-4', 'gpt-4-turbo', 'claude-3-opus', 'claude-3-sonnet')),
    constraint chk_status check (status in ('ACTIVE', 'COMPLETED', 'ABANDONED', 'ERROR')),
    constraint chk_dates check (ended_at is null or ended_at >= started_at),
    constraint ai_chat_sessions_context_summary_length_check check (octet_length(context_summary_encrypted) <= 65536),
    constraint ai_chat_sessions_context_summary_key_version_check check (
        case when context_summary_encrypted is null then context_summary_key_version is null else coalesce(context_summary_key_version > 0, false) end
    )
);

create index idx_ai_sessions_user_id on health.ai_chat_sessions (user_id);
create index idx_ai_sessions_status on health.ai_chat_sessions (status) where status = 'ACTIVE';
create index idx_ai_sessions_started on health.ai_chat_sessions (started_at desc);

comment on table health.ai_chat_sessions is
    'AI health-concierge conversations (metadata; the summary is ciphertext only).';

create function health.set_local_date()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_time_zone text;
begin
    select u.time_zone into v_time_zone from public.users u where u.id = new.user_id;
    new.local_date := (new.logged_at at time zone coalesce(v_time_zone, 'UTC'))::date;
    return new;
end;
$$;

comment on function health.set_local_date() is
    'BEFORE INSERT/UPDATE trigger: local_date := the date of logged_at at the user''s time zone. SECURITY DEFINER to read users.time_zone whatever the caller''s row-level security.';

revoke execute on function health.set_local_date() from public;

create trigger set_mood_logs_local_date
    before insert or update of logged_at, user_id, local_date on health.mood_logs
    for each row
    execute function health.set_local_date();

create trigger set_stress_logs_local_date
    before insert or update of logged_at, user_id, local_date on health.stress_logs
    for each row
    execute function health.set_local_date();

create trigger update_mental_wellness_goals_updated_at
    before update on health.mental_wellness_goals
    for each row
    execute function public.update_updated_at_column();

create trigger audit_mental_wellness_goals
    after insert or update or delete on health.mental_wellness_goals
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_mood_logs
    after insert or update or delete on health.mood_logs
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_stress_logs
    after insert or update or delete on health.stress_logs
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_sleep_logs
    after insert or update or delete on health.sleep_logs
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_ai_chat_sessions
    after insert or update or delete on health.ai_chat_sessions
    for each row
    execute function public.audit_changes('context_summary_encrypted');

-- Clinicians see a user's mental-wellness rows only while that user shares them. They cannot
-- read user_consents, hence SECURITY DEFINER; EXECUTE is theirs alone.
create function health.shares_mental_health(p_user_id uuid)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select exists (
        select 1 from public.user_consents c
        where c.user_id = p_user_id
          and c.consent_type = 'mental_health_sharing'
          and c.revoked_at is null
    )
$$;

comment on function health.shares_mental_health(uuid) is
    'Whether the user has an active mental_health_sharing consent; used by mental_health_reader policies.';

revoke execute on function health.shares_mental_health(uuid) from public;
grant execute on function health.shares_mental_health(uuid) to mental_health_reader;

alter table health.mental_wellness_goals enable row level security;
alter table health.mood_logs enable row level security;
alter table health.stress_logs enable row level security;
alter table health.sleep_logs enable row level security;
alter table health.ai_chat_sessions enable row level security;

create policy "users read their own mental wellness goals" on health.mental_wellness_goals
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users set their own mental wellness goals" on health.mental_wellness_goals
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users change their own mental wellness goals" on health.mental_wellness_goals
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own mental wellness goals" on health.mental_wellness_goals
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see mental wellness goals of users who share them" on health.mental_wellness_goals
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all mental wellness goals" on health.mental_wellness_goals
    for select to eatsential_admin using (true);
create policy "jobs change any mental wellness goal" on health.mental_wellness_goals
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any mental wellness goal" on health.mental_wellness_goals
    for delete to eatsential_admin using (true);

create policy "users read their own mood logs" on health.mood_logs
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users log their own mood" on health.mood_logs
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users change their own mood logs" on health.mood_logs
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own mood logs" on health.mood_logs
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see mood logs of users who share them" on health.mood_logs
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all mood logs" on health.mood_logs
    for select to eatsential_admin using (true);
create policy "jobs change any mood log" on health.mood_logs
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any mood log" on health.mood_logs
    for delete to eatsential_admin using (true);

create policy "users read their own stress logs" on health.stress_logs
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users log their own stress" on health.stress_logs
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users change their own stress logs" on health.stress_logs
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own stress logs" on health.stress_logs
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see stress logs of users who share them" on health.stress_logs
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all stress logs" on health.stress_logs
    for select to eatsential_admin using (true);
create policy "jobs change any stress log" on health.stress_logs
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any stress log" on health.stress_logs
    for delete to eatsential_admin using (true);

create policy "users read their own sleep logs" on health.sleep_logs
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users log their own sleep" on health.sleep_logs
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users change their own sleep logs" on health.sleep_logs
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own sleep logs" on health.sleep_logs
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see sleep logs of users who share them" on health.sleep_logs
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all sleep logs" on health.sleep_logs
    for select to eatsential_admin using (true);
create policy "jobs change any sleep log" on health.sleep_logs
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any sleep log" on health.sleep_logs
    for delete to eatsential_admin using (true);

create policy "users read their own AI chat sessions" on health.ai_chat_sessions
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "consenting users start their own AI chat sessions" on health.ai_chat_sessions
    for insert to eatsential_write
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "consenting users continue their own AI chat sessions" on health.ai_chat_sessions
    for update to eatsential_write using (user_id = auth.current_user_id())
    with check (user_id = auth.current_user_id() and public.has_active_consent(user_id, 'mental_health_tracking'));
create policy "users delete their own AI chat sessions" on health.ai_chat_sessions
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "readers see AI chat sessions of users who share them" on health.ai_chat_sessions
    for select to mental_health_reader using (health.shares_mental_health(user_id));
create policy "jobs read all AI chat sessions" on health.ai_chat_sessions
    for select to eatsential_admin using (true);
create policy "jobs change any AI chat session" on health.ai_chat_sessions
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any AI chat session" on health.ai_chat_sessions
    for delete to eatsential_admin using (true);

grant select on health.mental_wellness_goals, health.mood_logs, health.stress_logs, health.sleep_logs, health.ai_chat_sessions
    to eatsential_read, eatsential_admin, mental_health_reader;
grant insert, update, delete on health.mental_wellness_goals, health.mood_logs, health.stress_logs, health.sleep_logs, health.ai_chat_sessions
    to eatsential_write;
grant update, delete on health.mental_wellness_goals, health.mood_logs, health.stress_logs, health.sleep_logs, health.ai_chat_sessions
    to eatsential_admin;

-- The key is a bound parameter: the server must not log parameters (log_parameter_max_length = 0
-- and log_parameter_max_length_on_error = 0, set by the infrastructure).
create function public.encrypt_mental_health_note(note text, encryption_key text)
returns bytea
language sql
strict
set search_path = pg_catalog, pg_temp
as $$
    select public.pgp_sym_encrypt(note, encryption_key, 'cipher-algo=aes256')
$$;

create function public.decrypt_mental_health_note(encrypted_data bytea, encryption_key text)
returns text
language sql
strict
set search_path = pg_catalog, pg_temp
as $$
    select public.pgp_sym_decrypt(encrypted_data, encryption_key)
$$;

comment on function public.encrypt_mental_health_note(text, text) is
    'OpenPGP symmetric encryption (AES-256) of a mental-health note with the given key; store the key''s version beside the ciphertext.';
comment on function public.decrypt_mental_health_note(bytea, text) is
    'Decrypts a note made by encrypt_mental_health_note; for mental_health_reader.';

revoke execute on function public.encrypt_mental_health_note(text, text) from public;
revoke execute on function public.decrypt_mental_health_note(bytea, text) from public;
grant execute on function public.encrypt_mental_health_note(text, text) to eatsential_write;
grant execute on function public.decrypt_mental_health_note(bytea, text) to mental_health_reader;

-- pgcrypto's decrypt functions are executable by PUBLIC out of the box: any role holding a
-- note and a guessed key could try it. Only mental-health readers may decrypt notes.
do $$
declare
    f regprocedure;
begin
    for f in
        select p.oid::regprocedure
        from pg_catalog.pg_proc p
        join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
        join pg_catalog.pg_extension e on e.oid = d.refobjid and e.extname = 'pgcrypto'
        where p.proname like '%decrypt%'
    loop
        execute format('revoke execute on function %s from public', f);
    end loop;
end;
$$;
grant execute on function public.pgp_sym_decrypt(bytea, text) to mental_health_reader;
