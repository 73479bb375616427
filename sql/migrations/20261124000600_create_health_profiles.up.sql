-- Health profiles (doc 4.1) and what hangs off them: allergies, dietary restrictions, medical
-- conditions, fitness goals; get_user_profile (doc 7.1).
--
-- Why the differences from the doc:
-- * bmr_calories was a STORED generated column using AGE() and CURRENT_DATE: not immutable, so
--   PostgreSQL refuses it, and a stored age would go stale anyway. BMR is computed when read:
--   public.bmr_calories(health_profiles) (usable as hp.bmr_calories) and the view
--   public.health_profiles_with_bmr.
-- * chk_age_minimum compared with CURRENT_DATE inside a CHECK, which PostgreSQL evaluates only
--   when a row is written and assumes immutable; it is a trigger raising 23514 under that name.
-- * user_id was declared UNIQUE twice (inline and uq_one_profile_per_user): once, named.
-- * child rows carry both user_id and health_profile_id; a composite foreign key makes sure the
--   profile is the same user's.
-- * check_email_verified raises 23514 (constraint health_profiles_email_verified_check) instead of
--   a bare P0001, and is SECURITY DEFINER so that it sees the user row whatever the caller's RLS.

create table public.health_profiles (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    height_cm integer,
    weight_kg numeric(5, 2),
    date_of_birth date,
    gender varchar(20),
    activity_level varchar(20),
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint uq_one_profile_per_user unique (user_id),
    constraint health_profiles_id_user_id_key unique (id, user_id),
    constraint chk_height_range check (height_cm between 50 and 300),
    constraint chk_weight_range check (weight_kg between 20 and 500),
    constraint chk_gender_values check (gender in ('male', 'female', 'other', 'prefer_not_to_say')),
    constraint chk_activity_level check (activity_level in ('sedentary', 'light', 'moderate', 'active', 'very_active')),
    constraint health_profiles_date_of_birth_check check (date_of_birth >= date '1900-01-01')
);

comment on table public.health_profiles is
    'One health profile per user: body measurements, birth date, activity. BMR: public.bmr_calories(profile) or the view health_profiles_with_bmr.';

create function public.check_minimum_age()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if new.date_of_birth > current_date - interval '13 years' then
        raise exception using
            errcode = 'check_violation',
            constraint = 'chk_age_minimum',
            schema = tg_table_schema,
            table = tg_table_name,
            column = 'date_of_birth',
            message = 'users must be at least 13 years old';
    end if;
    return new;
end;
$$;

comment on function public.check_minimum_age() is
    'BEFORE INSERT/UPDATE trigger: refuses a birth date less than 13 years before today (SQLSTATE 23514, constraint chk_age_minimum).';

create function public.check_email_verified()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    -- A signed-in user writing a row for someone else is refused by row-level security after
    -- this trigger; answering here would tell them whether that account exists and is verified.
    if auth.current_user_id() is not null and new.user_id is distinct from auth.current_user_id() then
        return new;
    end if;
    if not exists (
        select 1 from public.users
        where id = new.user_id and is_email_verified = true
    ) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'health_profiles_email_verified_check',
            schema = tg_table_schema,
            table = tg_table_name,
            message = 'User email must be verified',
            hint = 'Verify the email address before creating a health profile.';
    end if;
    return new;
end;
$$;

comment on function public.check_email_verified() is
    'BEFORE INSERT trigger: a health profile needs a verified email (SQLSTATE 23514, constraint health_profiles_email_verified_check).';

revoke execute on function public.check_minimum_age() from public;
revoke execute on function public.check_email_verified() from public;

create trigger check_health_profiles_minimum_age
    before insert or update of date_of_birth on public.health_profiles
    for each row
    execute function public.check_minimum_age();

create trigger ensure_email_verified
    before insert on public.health_profiles
    for each row
    execute function public.check_email_verified();

create trigger update_health_profiles_updated_at
    before update on public.health_profiles
    for each row
    execute function public.update_updated_at_column();

create trigger audit_health_profiles
    after insert or update or delete on public.health_profiles
    for each row
    execute function public.audit_changes();

-- Mifflin-St Jeor (1990): 10 kg + 6.25 cm - 5 years + 5 (male) / - 161 (female); age in whole
-- years as of today. NULL when a measurement is missing or gender is neither.
create function public.bmr_calories(p_profile public.health_profiles)
returns integer
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.round(
        10 * p_profile.weight_kg
        + 6.25 * p_profile.height_cm
        - 5 * extract(year from pg_catalog.age(current_date, p_profile.date_of_birth))
        + case p_profile.gender when 'male' then 5 when 'female' then -161 end
    )::integer
$$;

comment on function public.bmr_calories(public.health_profiles) is
    'Basal metabolic rate (kcal/day) by Mifflin-St Jeor from weight, height and age today; NULL unless gender is male or female and all measurements are known.';

revoke execute on function public.bmr_calories(public.health_profiles) from public;
grant execute on function public.bmr_calories(public.health_profiles) to eatsential_read, eatsential_admin;

create view public.health_profiles_with_bmr
with (security_invoker = true)
as
select hp.*, public.bmr_calories(hp) as bmr_calories
from public.health_profiles hp;

comment on view public.health_profiles_with_bmr is 'Health profiles with bmr_calories computed as of today; the caller''s row-level security applies.';

create table public.user_allergies (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    health_profile_id uuid not null,
    allergen_id uuid not null references health.allergens (id),
    severity varchar(20) not null,
    notes text,
    diagnosed_date date,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint user_allergies_health_profile_id_user_id_fkey foreign key (health_profile_id, user_id)
        references public.health_profiles (id, user_id) on delete cascade,
    constraint chk_severity_values check (severity in ('MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING')),
    constraint chk_notes_length check (length(notes) <= 500),
    constraint uq_user_allergen unique (user_id, allergen_id)
);

create index idx_user_allergies_user_id on public.user_allergies (user_id);
create index idx_user_allergies_severity on public.user_allergies (severity) where severity in ('SEVERE', 'LIFE_THREATENING');
create index idx_user_allergies_lookup on public.user_allergies (user_id, allergen_id) include (severity);
create index user_allergies_health_profile_id_user_id_idx on public.user_allergies (health_profile_id, user_id);
create index user_allergies_allergen_id_idx on public.user_allergies (allergen_id);

comment on table public.user_allergies is 'A user''s allergies with severity; is_meal_safe_for_user decides from them.';

create trigger update_user_allergies_updated_at
    before update on public.user_allergies
    for each row
    execute function public.update_updated_at_column();

create trigger audit_user_allergies
    after insert or update or delete on public.user_allergies
    for each row
    execute function public.audit_changes();

create table public.user_dietary_restrictions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    health_profile_id uuid not null,
    restriction_id uuid not null references health.dietary_restrictions_ref (id),
    created_at timestamptz not null default current_timestamp,

    constraint user_dietary_restrictions_health_profile_id_user_id_fkey foreign key (health_profile_id, user_id)
        references public.health_profiles (id, user_id) on delete cascade,
    constraint user_dietary_restrictions_user_id_restriction_id_key unique (user_id, restriction_id)
);

create index user_dietary_restrictions_health_profile_id_user_id_idx on public.user_dietary_restrictions (health_profile_id, user_id);
create index user_dietary_restrictions_restriction_id_idx on public.user_dietary_restrictions (restriction_id);

comment on table public.user_dietary_restrictions is 'Dietary restrictions a user follows (health.dietary_restrictions_ref).';

create table public.user_medical_conditions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    health_profile_id uuid not null,
    condition_id uuid not null references health.medical_conditions_ref (id),
    diagnosed_date date,
    notes text,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint user_medical_conditions_health_profile_id_user_id_fkey foreign key (health_profile_id, user_id)
        references public.health_profiles (id, user_id) on delete cascade,
    constraint user_medical_conditions_user_id_condition_id_key unique (user_id, condition_id),
    constraint user_medical_conditions_notes_check check (length(notes) <= 500)
);

create index user_medical_conditions_health_profile_id_user_id_idx on public.user_medical_conditions (health_profile_id, user_id);
create index user_medical_conditions_condition_id_idx on public.user_medical_conditions (condition_id);

comment on table public.user_medical_conditions is 'Medical conditions of a user that shape recommendations (health.medical_conditions_ref).';

create trigger update_user_medical_conditions_updated_at
    before update on public.user_medical_conditions
    for each row
    execute function public.update_updated_at_column();

create table public.user_fitness_goals (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    health_profile_id uuid not null,
    goal_type varchar(30) not null,
    target_weight_kg numeric(5, 2),
    target_calories integer,
    weekly_activity_minutes integer,
    target_date date,
    status varchar(20) not null default 'ACTIVE',
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint user_fitness_goals_health_profile_id_user_id_fkey foreign key (health_profile_id, user_id)
        references public.health_profiles (id, user_id) on delete cascade,
    constraint user_fitness_goals_goal_type_check check (
        goal_type in ('weight_loss', 'weight_gain', 'muscle_gain', 'maintenance', 'endurance', 'general_fitness')
    ),
    constraint user_fitness_goals_target_weight_kg_check check (target_weight_kg between 20 and 500),
    constraint user_fitness_goals_target_calories_check check (target_calories between 800 and 10000),
    constraint user_fitness_goals_weekly_activity_minutes_check check (weekly_activity_minutes between 0 and 10080),
    constraint user_fitness_goals_status_check check (status in ('ACTIVE', 'PAUSED', 'COMPLETED', 'ABANDONED'))
);

create index user_fitness_goals_user_id_idx on public.user_fitness_goals (user_id);
create index user_fitness_goals_health_profile_id_user_id_idx on public.user_fitness_goals (health_profile_id, user_id);

comment on table public.user_fitness_goals is 'Physical fitness goals of a user (weight, calories, activity).';

create trigger update_user_fitness_goals_updated_at
    before update on public.user_fitness_goals
    for each row
    execute function public.update_updated_at_column();

-- Row-level security: each user sees and changes only their own rows; jobs sweep all of them.
alter table public.health_profiles enable row level security;
alter table public.user_allergies enable row level security;
alter table public.user_dietary_restrictions enable row level security;
alter table public.user_medical_conditions enable row level security;
alter table public.user_fitness_goals enable row level security;

create policy "users read their own health profile" on public.health_profiles
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users create their own health profile" on public.health_profiles
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own health profile" on public.health_profiles
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users delete their own health profile" on public.health_profiles
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all health profiles" on public.health_profiles
    for select to eatsential_admin using (true);
create policy "jobs change any health profile" on public.health_profiles
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any health profile" on public.health_profiles
    for delete to eatsential_admin using (true);

create policy "users read their own allergies" on public.user_allergies
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users add their own allergies" on public.user_allergies
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own allergies" on public.user_allergies
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users remove their own allergies" on public.user_allergies
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all allergies" on public.user_allergies
    for select to eatsential_admin using (true);
create policy "jobs change any allergy" on public.user_allergies
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any allergy" on public.user_allergies
    for delete to eatsential_admin using (true);

create policy "users read their own dietary restrictions" on public.user_dietary_restrictions
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users add their own dietary restrictions" on public.user_dietary_restrictions
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own dietary restrictions" on public.user_dietary_restrictions
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users remove their own dietary restrictions" on public.user_dietary_restrictions
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all dietary restrictions" on public.user_dietary_restrictions
    for select to eatsential_admin using (true);
create policy "jobs change any dietary restriction" on public.user_dietary_restrictions
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any dietary restriction" on public.user_dietary_restrictions
    for delete to eatsential_admin using (true);

create policy "users read their own medical conditions" on public.user_medical_conditions
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users add their own medical conditions" on public.user_medical_conditions
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own medical conditions" on public.user_medical_conditions
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users remove their own medical conditions" on public.user_medical_conditions
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all medical conditions" on public.user_medical_conditions
    for select to eatsential_admin using (true);
create policy "jobs change any medical condition" on public.user_medical_conditions
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any medical condition" on public.user_medical_conditions
    for delete to eatsential_admin using (true);

create policy "users read their own fitness goals" on public.user_fitness_goals
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users add their own fitness goals" on public.user_fitness_goals
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own fitness goals" on public.user_fitness_goals
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users delete their own fitness goals" on public.user_fitness_goals
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all fitness goals" on public.user_fitness_goals
    for select to eatsential_admin using (true);
create policy "jobs change any fitness goal" on public.user_fitness_goals
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any fitness goal" on public.user_fitness_goals
    for delete to eatsential_admin using (true);

grant select on public.health_profiles, public.health_profiles_with_bmr, public.user_allergies,
    public.user_dietary_restrictions, public.user_medical_conditions, public.user_fitness_goals
    to eatsential_read, eatsential_admin;
grant insert, update, delete on public.health_profiles, public.user_allergies,
    public.user_dietary_restrictions, public.user_medical_conditions, public.user_fitness_goals
    to eatsential_write;
grant update, delete on public.health_profiles, public.user_allergies,
    public.user_dietary_restrictions, public.user_medical_conditions, public.user_fitness_goals
    to eatsential_admin;

-- The doc's version joined profile and allergies and grouped: right only because a user has at
-- most one profile (uq_one_profile_per_user). A scalar count does not depend on that.
create function public.get_user_profile(p_user_id uuid)
returns table (
    user_id uuid,
    username varchar,
    email varchar,
    profile_id uuid,
    height_cm integer,
    weight_kg numeric,
    allergy_count integer
)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select
        u.id,
        u.username,
        u.email,
        hp.id,
        hp.height_cm,
        hp.weight_kg,
        (select pg_catalog.count(*)::integer from public.user_allergies ua where ua.user_id = u.id)
    from public.users u
    left join public.health_profiles hp on hp.user_id = u.id
    where u.id = p_user_id
$$;

comment on function public.get_user_profile(uuid) is
    'Account, health profile and number of allergies of a user; SECURITY INVOKER, so a signed-in user gets only their own.';

revoke execute on function public.get_user_profile(uuid) from public;
grant execute on function public.get_user_profile(uuid) to eatsential_read, eatsential_admin;
