-- The rules recommendations filter by, kept as data: what each dietary restriction excludes and
-- needs to know, the nutrient limits per meal of the medical conditions that set them, and the
-- facts about ingredients and meals those rules read (sql/README.md §9).
--
-- Why: a diet cannot be decided from allergens alone (vegetarian needs to know which ingredient is
-- meat; kosher and halal cannot be read off ingredients at all), and a condition's limit is a
-- number a dietitian may change, not a constant in code. A fact the catalogue does not hold
-- (an unclassified ingredient, an unknown sodium figure, no certification) never makes a meal
-- match: the recommendation hides it.

-- ---- facts about ingredients and meals ----------------------------------------------------

alter table public.ingredients
    add column diet_traits text[],
    add constraint ingredients_diet_traits_check check (
        diet_traits <@ array['meat', 'pork', 'poultry', 'fish', 'shellfish', 'dairy', 'egg', 'honey',
                             'gelatin', 'alcohol', 'grain', 'legume', 'refined_sugar']::text[]
    );

comment on column public.ingredients.diet_traits is
    'What the ingredient is, for dietary restrictions: meat, pork, poultry, fish, shellfish, dairy, egg, honey, gelatin, alcohol, grain, legume, refined_sugar. Empty: classified, none of these (a vegetable). NULL: not classified yet, so no diet that needs classification can be decided for a meal holding it.';

alter table public.meals
    add column certifications text[] not null default '{}',
    add constraint meals_certifications_check check (certifications <@ array['kosher', 'halal']::text[]);

comment on column public.meals.certifications is
    'Religious certifications the restaurant holds for this meal (kosher, halal): the only way a meal matches those diets.';

-- ---- dietary restrictions -----------------------------------------------------------------

alter table health.dietary_restrictions_ref
    add column excluded_traits text[] not null default '{}',
    add column excluded_allergen_ids uuid[] not null default '{}',
    add column excluded_allergens_strict boolean not null default false,
    add column needs_classified_ingredients boolean not null default false,
    add column required_certification varchar(20),
    add column max_carbs_g_per_meal numeric(5, 1),
    add constraint dietary_restrictions_ref_required_certification_check check (required_certification in ('kosher', 'halal')),
    add constraint dietary_restrictions_ref_max_carbs_check check (max_carbs_g_per_meal >= 0);

comment on column health.dietary_restrictions_ref.excluded_traits is
    'A meal with an ingredient it contains (not may_contain) carrying one of these diet_traits breaks the diet.';
comment on column health.dietary_restrictions_ref.excluded_allergen_ids is
    'A meal with an ingredient of one of these allergens (or of an allergen under one of them) breaks the diet: contains always, may_contain when excluded_allergens_strict.';
comment on column health.dietary_restrictions_ref.excluded_allergens_strict is
    'may_contain counts too, and the meal needs a complete ingredient list (gluten-free).';
comment on column health.dietary_restrictions_ref.needs_classified_ingredients is
    'The diet is decided from diet_traits: the meal needs a complete ingredient list whose every ingredient is classified.';
comment on column health.dietary_restrictions_ref.required_certification is
    'The meal must hold this certification (meals.certifications).';
comment on column health.dietary_restrictions_ref.max_carbs_g_per_meal is
    'The meal''s carbohydrates must be known and at most this.';

update health.dietary_restrictions_ref d
set excluded_traits = r.traits,
    excluded_allergen_ids = coalesce(
        (select array_agg(a.id order by a.name) from health.allergens a where a.name = any (r.allergens)), '{}'),
    excluded_allergens_strict = r.strict,
    needs_classified_ingredients = r.classified,
    required_certification = r.certification,
    max_carbs_g_per_meal = r.carbs
from (values
    ('vegetarian', array['meat', 'pork', 'poultry', 'fish', 'shellfish', 'gelatin'],
        array['Fish', 'Shellfish', 'Molluscs'], false, true, null, null::numeric),
    ('vegan', array['meat', 'pork', 'poultry', 'fish', 'shellfish', 'gelatin', 'dairy', 'egg', 'honey'],
        array['Fish', 'Shellfish', 'Molluscs', 'Milk', 'Eggs'], false, true, null, null),
    ('gluten_free', array[]::text[], array['Cereals containing gluten'], true, false, null, null),
    ('kosher', array['pork', 'shellfish'], array['Shellfish', 'Molluscs'], false, false, 'kosher', null),
    ('halal', array['pork', 'alcohol'], array[]::text[], false, false, 'halal', null),
    ('keto', array['grain', 'refined_sugar'], array[]::text[], false, false, null, 20.0),
    ('paleo', array['grain', 'legume', 'dairy', 'refined_sugar'],
        array['Cereals containing gluten', 'Milk', 'Peanuts', 'Soy', 'Lupin'], false, true, null, null)
) as r (name, traits, allergens, strict, classified, certification, carbs)
where d.name = r.name;

-- ---- medical conditions -------------------------------------------------------------------

alter table health.medical_conditions_ref
    add column max_sodium_mg_per_meal integer,
    add column max_carbs_g_per_meal numeric(5, 1),
    add column max_protein_g_per_meal numeric(5, 1),
    add column max_fat_g_per_meal numeric(5, 1),
    add column excluded_allergen_ids uuid[] not null default '{}',
    add column excluded_allergens_strict boolean not null default false,
    add column limits_basis text,
    add constraint medical_conditions_ref_limits_check check (
        max_sodium_mg_per_meal >= 0 and max_carbs_g_per_meal >= 0
        and max_protein_g_per_meal >= 0 and max_fat_g_per_meal >= 0
    );

comment on column health.medical_conditions_ref.max_sodium_mg_per_meal is
    'Most sodium (mg) one meal may have for a person with this condition; a meal whose sodium is unknown does not match.';
comment on column health.medical_conditions_ref.excluded_allergen_ids is
    'Allergens (with the allergens under them) a meal must not contain: may_contain too when excluded_allergens_strict (celiac disease).';
comment on column health.medical_conditions_ref.limits_basis is 'Where the limits come from.';

update health.medical_conditions_ref c
set max_sodium_mg_per_meal = r.sodium,
    max_carbs_g_per_meal = r.carbs,
    max_protein_g_per_meal = r.protein,
    excluded_allergen_ids = coalesce(
        (select array_agg(a.id order by a.name) from health.allergens a where a.name = any (r.allergens)), '{}'),
    excluded_allergens_strict = r.strict,
    limits_basis = r.basis
from (values
    ('hypertension', 600, null::numeric, null::numeric, array[]::text[], false,
        'AHA: at most 1,500 mg sodium a day for people with high blood pressure, about 600 mg at a main meal'),
    ('chronic_kidney_disease', 600, null, 30.0, array[]::text[], false,
        'KDIGO / NKF: under 2,000 mg sodium a day, protein about 0.6-0.8 g/kg a day, about 30 g at a main meal'),
    ('type_1_diabetes', null, 60.0, null, array[]::text[], false,
        'ADA carbohydrate counting: 45-60 g of carbohydrate a meal'),
    ('type_2_diabetes', null, 60.0, null, array[]::text[], false,
        'ADA carbohydrate counting: 45-60 g of carbohydrate a meal'),
    ('celiac_disease', null, null, null, array['Cereals containing gluten'], true,
        'No gluten, including cross-contact'),
    ('lactose_intolerance', null, null, null, array['Milk'], false,
        'No milk ingredients; traces are tolerated'),
    ('phenylketonuria', null, null, 10.0, array[]::text[], false,
        'Very low protein: about 10 g at a meal')
) as r (name, sodium, carbs, protein, allergens, strict, basis)
where c.name = r.name;

-- ---- recommendations: what was shown, why, and by which algorithm -------------------------

alter table public.recommendations
    add column meal_time varchar(10),
    add column reasons jsonb not null default '[]',
    add column warnings jsonb not null default '[]',
    add column algorithm_version varchar(40),
    add column rank smallint,
    add column shown_at timestamptz not null default current_timestamp,
    add column responded_at timestamptz;

update public.recommendations set responded_at = created_at where status <> 'shown';

alter table public.recommendations
    add constraint recommendations_meal_time_check check (meal_time in ('breakfast', 'lunch', 'dinner', 'snack')),
    add constraint recommendations_reasons_check check (jsonb_typeof(reasons) = 'array' and pg_column_size(reasons) <= 8192),
    add constraint recommendations_warnings_check check (jsonb_typeof(warnings) = 'array' and pg_column_size(warnings) <= 8192),
    add constraint recommendations_rank_check check (rank between 1 and 100),
    add constraint recommendations_responded_check check ((status = 'shown') = (responded_at is null));

-- One open recommendation per person, meal and meal time: showing it again refreshes that row.
create unique index recommendations_open_idx on public.recommendations (user_id, meal_id, meal_time)
    where status = 'shown';
create index recommendations_user_id_dismissed_idx on public.recommendations (user_id, responded_at desc)
    where status = 'dismissed';

comment on column public.recommendations.reasons is
    'Why it was recommended: [{code, sentence, points}], as shown. Reasons from mental-wellness logs keep only the meal''s tag, never the person''s figures.';
comment on column public.recommendations.algorithm_version is 'The ranking that produced score and reasons.';

-- ---- feedback: comments as ciphertext, reactions ------------------------------------------

do $$
declare
    v_count bigint;
begin
    select count(*) into v_count from public.feedback where comment is not null;
    if v_count > 0 then
        raise exception using
            errcode = 'object_not_in_prerequisite_state',
            message = format('%s plaintext feedback comments exist; encrypt them with the note keyring before this migration', v_count);
    end if;
end;
$$;

alter table public.feedback
    drop column comment,
    add column comment_encrypted bytea,
    add column comment_key_version smallint,
    add column reaction boolean not null default false,
    add constraint feedback_comment_encrypted_check check (octet_length(comment_encrypted) <= 4096),
    add constraint feedback_comment_key_version_check check (
        case when comment_encrypted is null then comment_key_version is null else coalesce(comment_key_version > 0, false) end
    ),
    add constraint feedback_reaction_meal_check check (not reaction or meal_id is not null);

comment on column public.feedback.comment_encrypted is
    'The comment: AES-256-GCM ciphertext made by the application with key comment_key_version of the note keyring.';
comment on column public.feedback.reaction is
    'The person reacted to the meal: it is never recommended to them again, and it is flagged for catalogue review.';

create index feedback_user_id_reaction_idx on public.feedback (user_id, meal_id) where reaction;

create trigger audit_feedback
    after insert or update or delete on public.feedback
    for each row
    execute function public.audit_changes('comment_encrypted');

-- ---- catalogue review flags ---------------------------------------------------------------

create table public.meal_review_flags (
    id uuid primary key default gen_random_uuid(),
    meal_id uuid not null references public.meals (id) on delete cascade,
    feedback_id uuid references public.feedback (id) on delete set null,
    reason varchar(20) not null,
    flagged_at timestamptz not null default current_timestamp,
    resolved_at timestamptz,

    constraint meal_review_flags_reason_check check (reason in ('reaction')),
    constraint meal_review_flags_feedback_id_key unique (feedback_id),
    constraint meal_review_flags_resolved_at_check check (resolved_at >= flagged_at)
);

create index meal_review_flags_open_idx on public.meal_review_flags (flagged_at) where resolved_at is null;
create index meal_review_flags_meal_id_idx on public.meal_review_flags (meal_id);

comment on table public.meal_review_flags is
    'Meals the catalogue team should review (a reported reaction). The flag names the feedback, not the person; operators read and resolve flags.';

alter table public.meal_review_flags enable row level security;

create policy "users flag meals from their own feedback" on public.meal_review_flags
    for insert to eatsential_write
    with check (
        feedback_id is not null
        and exists (select 1 from public.feedback f where f.id = feedback_id and f.user_id = auth.current_user_id())
    );
create policy "operators read review flags" on public.meal_review_flags
    for select to eatsential_admin using (true);
create policy "operators resolve review flags" on public.meal_review_flags
    for update to eatsential_admin using (true) with check (true);
create policy "operators delete review flags" on public.meal_review_flags
    for delete to eatsential_admin using (true);

grant insert (meal_id, feedback_id, reason) on public.meal_review_flags to eatsential_write;
grant select, update, delete on public.meal_review_flags to eatsential_admin;
