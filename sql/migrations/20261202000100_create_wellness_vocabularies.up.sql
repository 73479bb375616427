-- Wellness vocabularies: stress triggers, coping strategies and AI chat models as reference
-- tables; the free text beside them only as ciphertext.
--
-- Why: stress_logs.triggers and coping_strategies were free text[] (doc 9.3): insights cannot count
-- "work" and "Work!!" as one trigger, and free text about a person's stress is health text that
-- must not sit in clear. They now hold codes of health.stress_triggers_ref and
-- health.coping_strategies_ref (checked by a trigger, since an array cannot carry a foreign key);
-- what the vocabulary lacks goes to triggers_other_encrypted / coping_other_encrypted, sealed by
-- the application with the note keyring like every note. ai_chat_sessions.llm_model was checked
-- against a fixed list of four model names (doc 9.6) that goes out of date: it references
-- health.llm_models, where new models are rows, not migrations. The chat title is free text a
-- person writes about their health: session_title_encrypted holds it; session_title stays unused.

create table health.stress_triggers_ref (
    code varchar(40) primary key,
    label varchar(80) not null,
    is_active boolean not null default true,

    constraint stress_triggers_ref_code_check check (code ~ '^[a-z][a-z_]*$')
);

comment on table health.stress_triggers_ref is
    'Stress triggers a person can name in a stress log (stress_logs.triggers holds these codes).';

create table health.coping_strategies_ref (
    code varchar(40) primary key,
    label varchar(80) not null,
    is_active boolean not null default true,

    constraint coping_strategies_ref_code_check check (code ~ '^[a-z][a-z_]*$')
);

comment on table health.coping_strategies_ref is
    'Coping strategies a person can name in a stress log (stress_logs.coping_strategies holds these codes).';

insert into health.stress_triggers_ref (code, label) values
    ('work', 'Work'),
    ('study', 'Study or exams'),
    ('finances', 'Money'),
    ('relationships', 'Relationships'),
    ('family', 'Family'),
    ('health', 'Health'),
    ('sleep', 'Poor sleep'),
    ('caregiving', 'Caring for someone'),
    ('commute', 'Commute or travel'),
    ('news', 'News and world events'),
    ('social_media', 'Social media'),
    ('deadlines', 'Deadlines'),
    ('conflict', 'Conflict'),
    ('loneliness', 'Loneliness'),
    ('other', 'Something else');

insert into health.coping_strategies_ref (code, label) values
    ('exercise', 'Exercise'),
    ('walk', 'A walk outside'),
    ('meditation', 'Meditation'),
    ('breathing', 'Breathing exercise'),
    ('talking', 'Talking to someone'),
    ('journaling', 'Journaling'),
    ('music', 'Music'),
    ('rest', 'Rest or a nap'),
    ('hobby', 'A hobby'),
    ('time_outdoors', 'Time outdoors'),
    ('therapy', 'Therapy or counselling'),
    ('limiting_screens', 'Less screen time'),
    ('other', 'Something else');

create table health.llm_models (
    code varchar(50) primary key,
    display_name varchar(100) not null,
    provider varchar(50) not null,
    is_active boolean not null default true,
    created_at timestamptz not null default current_timestamp,

    constraint llm_models_code_check check (code ~ '^[a-z0-9][a-z0-9.-]*$')
);

comment on table health.llm_models is
    'Models an AI chat session may name; retired models stay (is_active false) for old sessions.';

insert into health.llm_models (code, display_name, provider, is_active) values
    ('gpt-4', 'GPT-4', 'openai', false),
    ('gpt-4-turbo', 'GPT-4 Turbo', 'openai', false),
    ('gpt-4o', 'GPT-4o', 'openai', true),
    ('claude-3-opus', 'Claude 3 Opus', 'anthropic', false),
    ('claude-3-sonnet', 'Claude 3 Sonnet', 'anthropic', false),
    ('claude-3-5-sonnet', 'Claude 3.5 Sonnet', 'anthropic', true);

grant select on health.stress_triggers_ref, health.coping_strategies_ref, health.llm_models
    to eatsential_read, eatsential_admin, mental_health_reader;
grant insert, update, delete on health.stress_triggers_ref, health.coping_strategies_ref, health.llm_models
    to eatsential_admin;

alter table health.ai_chat_sessions
    drop constraint chk_llm_model,
    add constraint ai_chat_sessions_llm_model_fkey foreign key (llm_model) references health.llm_models (code),
    add column session_title_encrypted bytea,
    add column session_title_key_version smallint,
    add constraint ai_chat_sessions_session_title_length_check check (octet_length(session_title_encrypted) <= 1024),
    add constraint ai_chat_sessions_session_title_key_version_check check (
        case when session_title_encrypted is null then session_title_key_version is null else coalesce(session_title_key_version > 0, false) end
    );

comment on column health.ai_chat_sessions.session_title_encrypted is
    'The title: AES-256-GCM ciphertext made by the application with key session_title_key_version of the note keyring.';

create index ai_chat_sessions_llm_model_idx on health.ai_chat_sessions (llm_model);

alter table health.stress_logs
    add column triggers_other_encrypted bytea,
    add column triggers_other_key_version smallint,
    add column coping_other_encrypted bytea,
    add column coping_other_key_version smallint,
    add constraint stress_logs_triggers_other_length_check check (octet_length(triggers_other_encrypted) <= 1024),
    add constraint stress_logs_triggers_other_key_version_check check (
        case when triggers_other_encrypted is null then triggers_other_key_version is null else coalesce(triggers_other_key_version > 0, false) end
    ),
    add constraint stress_logs_coping_other_length_check check (octet_length(coping_other_encrypted) <= 1024),
    add constraint stress_logs_coping_other_key_version_check check (
        case when coping_other_encrypted is null then coping_other_key_version is null else coalesce(coping_other_key_version > 0, false) end
    );

comment on column health.stress_logs.triggers_other_encrypted is
    'Triggers the vocabulary lacks, in the person''s words: ciphertext of the note keyring only.';
comment on column health.stress_logs.coping_other_encrypted is
    'Coping strategies the vocabulary lacks, in the person''s words: ciphertext of the note keyring only.';

create function health.check_stress_codes()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if exists (
        select 1 from pg_catalog.unnest(new.triggers) t (code)
        where not exists (select 1 from health.stress_triggers_ref r where r.code = t.code)
    ) then
        raise exception using
            errcode = 'check_violation', constraint = 'stress_logs_triggers_check',
            schema = 'health', table = 'stress_logs',
            message = 'An unknown stress trigger code';
    end if;
    if exists (
        select 1 from pg_catalog.unnest(new.coping_strategies) s (code)
        where not exists (select 1 from health.coping_strategies_ref r where r.code = s.code)
    ) then
        raise exception using
            errcode = 'check_violation', constraint = 'stress_logs_coping_strategies_check',
            schema = 'health', table = 'stress_logs',
            message = 'An unknown coping strategy code';
    end if;
    return new;
end;
$$;

comment on function health.check_stress_codes() is
    'BEFORE INSERT/UPDATE trigger: every code of stress_logs.triggers and coping_strategies is in its vocabulary.';

revoke execute on function health.check_stress_codes() from public;

create trigger check_stress_logs_codes
    before insert or update of triggers, coping_strategies on health.stress_logs
    for each row
    execute function health.check_stress_codes();

drop trigger audit_stress_logs on health.stress_logs;
create trigger audit_stress_logs
    after insert or update or delete on health.stress_logs
    for each row
    execute function public.audit_changes('notes_encrypted', 'triggers_other_encrypted', 'coping_other_encrypted');

drop trigger audit_ai_chat_sessions on health.ai_chat_sessions;
create trigger audit_ai_chat_sessions
    after insert or update or delete on health.ai_chat_sessions
    for each row
    execute function public.audit_changes('context_summary_encrypted', 'session_title_encrypted', 'session_title');
