import type { Tx } from '../core/db';
import { uuidLiteral } from '../core/literal';
import type { StoredNote } from '../core/notes';
import type { ActivityLevel, BmrEquation, Gender, GoalType } from './energy';

/**
 * All SQL of the health domain. Every statement runs inside the signed-in request's transaction
 * as `eatsential_write` with `app.current_user_id` set: row-level security shows and changes only
 * the caller's own rows, so another person's id finds nothing (404), never a 403. Notes arrive
 * here already sealed by functions/core/notes.ts; the audit trigger leaves their columns out.
 */

// ---- reference catalogues ------------------------------------------------------------------

export const allergens = (tx: Tx) => tx`
  select id, name, category, description, coalesce(common_foods, '{}') as common_foods, parent_id,
         fda_recognized, eu_recognized
  from health.allergens where is_active order by name`;

export const dietaryRestrictions = (tx: Tx) => tx`
  select id, name, description from health.dietary_restrictions_ref order by name`;

export const medicalConditions = (tx: Tx) => tx`
  select id, name, display_name, description from health.medical_conditions_ref order by display_name`;

// ---- health profile ------------------------------------------------------------------------

export interface ProfileRow {
  id: string;
  height_cm: number | null;
  weight_kg: number | null;
  date_of_birth: string | null;
  gender: Gender | null;
  activity_level: ActivityLevel | null;
  bmr_equation: BmrEquation | null;
  created_at: Date;
  updated_at: Date;
  /** Microseconds since the epoch of updated_at: the profile's version, for ETag / If-Match. */
  version: string;
}

const profileColumns = (tx: Tx) => tx`
  hp.id, hp.height_cm, hp.weight_kg::float8 as weight_kg, hp.date_of_birth::text as date_of_birth,
  hp.gender, hp.activity_level, hp.bmr_equation, hp.created_at, hp.updated_at,
  (extract(epoch from hp.updated_at) * 1000000)::bigint::text as version`;

/** The caller's time zone and profile (null when none yet); `lock` holds the profile row for a write. */
export async function profile(
  tx: Tx,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<{ timeZone: string; profile: ProfileRow | null }> {
  const [row] = await tx<({ time_zone: string } & Partial<ProfileRow>)[]>`
    select u.time_zone, p.*
    from public.users u
    left join lateral (
      select ${profileColumns(tx)} from public.health_profiles hp where hp.user_id = u.id
      ${options.lock ? tx`for update` : tx``}
    ) p on true
    where u.id = ${tx.unsafe(uuidLiteral(userId))}`;
  if (!row) throw new Error('the signed-in user has no account row');
  const { time_zone, ...rest } = row;
  return { timeZone: time_zone, profile: rest.id ? (rest as ProfileRow) : null };
}

export type ProfileFields = Pick<
  ProfileRow,
  'height_cm' | 'weight_kg' | 'date_of_birth' | 'gender' | 'activity_level' | 'bmr_equation'
>;

export async function upsertProfile(tx: Tx, userId: string, f: ProfileFields): Promise<ProfileRow> {
  const [row] = await tx<ProfileRow[]>`
    insert into public.health_profiles as hp
      (user_id, height_cm, weight_kg, date_of_birth, gender, activity_level, bmr_equation)
    values (${userId}, ${f.height_cm}, ${f.weight_kg}, ${f.date_of_birth}, ${f.gender}, ${f.activity_level},
            ${f.bmr_equation})
    on conflict on constraint uq_one_profile_per_user do update set
      height_cm = excluded.height_cm, weight_kg = excluded.weight_kg,
      date_of_birth = excluded.date_of_birth, gender = excluded.gender,
      activity_level = excluded.activity_level, bmr_equation = excluded.bmr_equation
    returning ${profileColumns(tx)}`;
  return row as ProfileRow;
}

/** The profile the caller's allergies, diets, conditions and goals hang off, made empty if missing. */
export async function profileId(tx: Tx, userId: string): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    with made as (
      insert into public.health_profiles (user_id) values (${userId})
      on conflict on constraint uq_one_profile_per_user do nothing
      returning id
    )
    select id from made
    union all
    select id from public.health_profiles where user_id = ${userId}
    limit 1`;
  if (row) return row.id;
  // A concurrent request made the profile first: the insert waited for its commit and did
  // nothing, but this statement's snapshot predates that commit. The next statement sees it.
  const [made] = await tx<{ id: string }[]>`
    select id from public.health_profiles where user_id = ${userId}`;
  if (!made) throw new Error('the health profile is neither made nor found');
  return made.id;
}

/** SET of a PATCH on notes and diagnosis date: a field left out (undefined) keeps its value, null clears it. */
const notesAndDiagnosis = (tx: Tx, change: { notes?: StoredNote; diagnosedDate?: string | null }) => tx`
  notes_encrypted = case when ${change.notes !== undefined} then ${change.notes?.encrypted ?? null}::bytea else notes_encrypted end,
  notes_key_version = case when ${change.notes !== undefined} then ${change.notes?.keyVersion ?? null}::smallint else notes_key_version end,
  diagnosed_date = case when ${change.diagnosedDate !== undefined} then ${change.diagnosedDate ?? null}::date else diagnosed_date end`;

// ---- allergies -----------------------------------------------------------------------------

export interface AllergyRow {
  id: string;
  allergen_id: string;
  allergen_name: string;
  allergen_category: string;
  severity: string;
  notes_encrypted: Buffer | null;
  notes_key_version: number | null;
  diagnosed_date: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The caller's allergies, or the one with this id. */
export const allergies = (tx: Tx, id?: string) => tx<AllergyRow[]>`
  select ua.id, ua.allergen_id, a.name as allergen_name, a.category as allergen_category, ua.severity,
         ua.notes_encrypted, ua.notes_key_version, ua.diagnosed_date::text as diagnosed_date,
         ua.created_at, ua.updated_at
  from public.user_allergies ua join health.allergens a on a.id = ua.allergen_id
  ${id === undefined ? tx`` : tx`where ua.id = ${id}`}
  order by a.name`;

/** Undefined when the allergen is unknown or retired. */
export async function insertAllergy(
  tx: Tx,
  a: {
    userId: string;
    profileId: string;
    allergenId: string;
    severity: string;
    notes: StoredNote;
    diagnosedDate: string | null;
  },
): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.user_allergies
      (user_id, health_profile_id, allergen_id, severity, notes_encrypted, notes_key_version, diagnosed_date)
    select ${a.userId}, ${a.profileId}, al.id, ${a.severity}, ${a.notes.encrypted}, ${a.notes.keyVersion},
           ${a.diagnosedDate}
    from health.allergens al where al.id = ${a.allergenId} and al.is_active
    returning id`;
  return row?.id;
}

export async function updateAllergy(
  tx: Tx,
  id: string,
  change: { severity?: string; notes?: StoredNote; diagnosedDate?: string | null },
): Promise<boolean> {
  const rows = await tx`
    update public.user_allergies set
      severity = coalesce(${change.severity ?? null}, severity),
      ${notesAndDiagnosis(tx, change)}
    where id = ${id}
    returning id`;
  return rows.length > 0;
}

export async function deleteAllergy(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from public.user_allergies where id = ${id} returning id`).length > 0;
}

// ---- dietary restrictions ------------------------------------------------------------------

export interface DietaryRestrictionRow {
  id: string;
  restriction_id: string;
  name: string;
  description: string;
  created_at: Date;
}

export const userDietaryRestrictions = (tx: Tx, id?: string) => tx<DietaryRestrictionRow[]>`
  select udr.id, udr.restriction_id, r.name, r.description, udr.created_at
  from public.user_dietary_restrictions udr join health.dietary_restrictions_ref r on r.id = udr.restriction_id
  ${id === undefined ? tx`` : tx`where udr.id = ${id}`}
  order by r.name`;

export async function insertDietaryRestriction(
  tx: Tx,
  r: { userId: string; profileId: string; restrictionId: string },
): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.user_dietary_restrictions (user_id, health_profile_id, restriction_id)
    select ${r.userId}, ${r.profileId}, ref.id from health.dietary_restrictions_ref ref where ref.id = ${r.restrictionId}
    returning id`;
  return row?.id;
}

export async function deleteDietaryRestriction(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from public.user_dietary_restrictions where id = ${id} returning id`).length > 0;
}

// ---- medical conditions --------------------------------------------------------------------

export interface MedicalConditionRow {
  id: string;
  condition_id: string;
  name: string;
  display_name: string;
  description: string;
  diagnosed_date: string | null;
  notes_encrypted: Buffer | null;
  notes_key_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export const userMedicalConditions = (tx: Tx, id?: string) => tx<MedicalConditionRow[]>`
  select umc.id, umc.condition_id, c.name, c.display_name, c.description,
         umc.diagnosed_date::text as diagnosed_date, umc.notes_encrypted, umc.notes_key_version,
         umc.created_at, umc.updated_at
  from public.user_medical_conditions umc join health.medical_conditions_ref c on c.id = umc.condition_id
  ${id === undefined ? tx`` : tx`where umc.id = ${id}`}
  order by c.display_name`;

export async function insertMedicalCondition(
  tx: Tx,
  c: {
    userId: string;
    profileId: string;
    conditionId: string;
    diagnosedDate: string | null;
    notes: StoredNote;
  },
): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.user_medical_conditions
      (user_id, health_profile_id, condition_id, diagnosed_date, notes_encrypted, notes_key_version)
    select ${c.userId}, ${c.profileId}, ref.id, ${c.diagnosedDate}, ${c.notes.encrypted}, ${c.notes.keyVersion}
    from health.medical_conditions_ref ref where ref.id = ${c.conditionId}
    returning id`;
  return row?.id;
}

export async function updateMedicalCondition(
  tx: Tx,
  id: string,
  change: { notes?: StoredNote; diagnosedDate?: string | null },
): Promise<boolean> {
  const rows = await tx`
    update public.user_medical_conditions set ${notesAndDiagnosis(tx, change)}
    where id = ${id}
    returning id`;
  return rows.length > 0;
}

export async function deleteMedicalCondition(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from public.user_medical_conditions where id = ${id} returning id`).length > 0;
}

// ---- fitness goals -------------------------------------------------------------------------

export interface FitnessGoalRow {
  id: string;
  goal_type: GoalType;
  target_weight_kg: number | null;
  target_calories: number | null;
  weekly_activity_minutes: number | null;
  target_date: string | null;
  status: 'ACTIVE' | 'PAUSED' | 'COMPLETED' | 'ABANDONED';
  created_at: Date;
  updated_at: Date;
}

/** Newest first: the first ACTIVE one sets the day's calorie target. */
export const fitnessGoals = (tx: Tx, id?: string) => tx<FitnessGoalRow[]>`
  select id, goal_type, target_weight_kg::float8 as target_weight_kg, target_calories, weekly_activity_minutes,
         target_date::text as target_date, status, created_at, updated_at
  from public.user_fitness_goals
  ${id === undefined ? tx`` : tx`where id = ${id}`}
  order by created_at desc, id`;

export type GoalFields = Pick<
  FitnessGoalRow,
  'goal_type' | 'target_weight_kg' | 'target_calories' | 'weekly_activity_minutes' | 'target_date'
>;

export async function insertFitnessGoal(
  tx: Tx,
  g: GoalFields & { userId: string; profileId: string },
): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.user_fitness_goals
      (user_id, health_profile_id, goal_type, target_weight_kg, target_calories, weekly_activity_minutes, target_date)
    values (${g.userId}, ${g.profileId}, ${g.goal_type}, ${g.target_weight_kg}, ${g.target_calories},
            ${g.weekly_activity_minutes}, ${g.target_date})
    returning id`;
  return (row as { id: string }).id;
}

export async function updateFitnessGoal(
  tx: Tx,
  id: string,
  change: Partial<Omit<GoalFields, 'goal_type'> & { status: FitnessGoalRow['status'] }>,
): Promise<boolean> {
  const set = (k: keyof typeof change) => change[k] !== undefined;
  const rows = await tx`
    update public.user_fitness_goals set
      target_weight_kg = case when ${set('target_weight_kg')} then ${change.target_weight_kg ?? null}::numeric else target_weight_kg end,
      target_calories = case when ${set('target_calories')} then ${change.target_calories ?? null}::integer else target_calories end,
      weekly_activity_minutes = case when ${set('weekly_activity_minutes')} then ${change.weekly_activity_minutes ?? null}::integer else weekly_activity_minutes end,
      target_date = case when ${set('target_date')} then ${change.target_date ?? null}::date else target_date end,
      status = coalesce(${change.status ?? null}, status)
    where id = ${id}
    returning id`;
  return rows.length > 0;
}

export async function deleteFitnessGoal(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from public.user_fitness_goals where id = ${id} returning id`).length > 0;
}

// ---- preferences ---------------------------------------------------------------------------

export interface PreferencesRow {
  cuisines: string[];
  price_range: number | null;
  max_distance_km: number | null;
  notify_email: boolean;
  notify_push: boolean;
  notify_meal_reminders: boolean;
  notify_wellness_check_ins: boolean;
  updated_at: Date;
  version: string;
}

const preferenceColumns = (tx: Tx) => tx`
  cuisines, price_range, max_distance_km::float8 as max_distance_km, notify_email, notify_push,
  notify_meal_reminders, notify_wellness_check_ins, updated_at,
  (extract(epoch from updated_at) * 1000000)::bigint::text as version`;

export async function preferences(
  tx: Tx,
  options: { lock?: boolean } = {},
): Promise<PreferencesRow | undefined> {
  const [row] = await tx<PreferencesRow[]>`
    select ${preferenceColumns(tx)} from public.user_preferences
    ${options.lock ? tx`for update` : tx``}`;
  return row;
}

export async function upsertPreferences(
  tx: Tx,
  userId: string,
  p: Omit<PreferencesRow, 'updated_at' | 'version'>,
): Promise<PreferencesRow> {
  const [row] = await tx<PreferencesRow[]>`
    insert into public.user_preferences as up
      (user_id, cuisines, price_range, max_distance_km, notify_email, notify_push, notify_meal_reminders,
       notify_wellness_check_ins)
    values (${userId}, ${p.cuisines}, ${p.price_range}, ${p.max_distance_km}, ${p.notify_email}, ${p.notify_push},
            ${p.notify_meal_reminders}, ${p.notify_wellness_check_ins})
    on conflict (user_id) do update set
      cuisines = excluded.cuisines, price_range = excluded.price_range,
      max_distance_km = excluded.max_distance_km, notify_email = excluded.notify_email,
      notify_push = excluded.notify_push, notify_meal_reminders = excluded.notify_meal_reminders,
      notify_wellness_check_ins = excluded.notify_wellness_check_ins
    returning ${preferenceColumns(tx)}`;
  return row as PreferencesRow;
}
