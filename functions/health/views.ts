import { openNote, type NoteContext } from '../core/notes';
import { versionTag } from '../core/preconditions';
import { caloriePlanOf, energyOf, type GoalFacts, type ProfileFacts } from './energy';
import type * as q from './queries';

/**
 * Rows as the API shows them to their owner: notes opened, energy computed as of the owner's
 * today. The note context names the row's table and owner, as when it was sealed.
 */

export const noteContext = (table: string, userId: string): NoteContext => ({
  table,
  column: 'notes_encrypted',
  userId,
});

export const profileTag = (row: Pick<q.ProfileRow, 'version'>) => versionTag('hp', row.version);
export const preferencesTag = (row: Pick<q.PreferencesRow, 'version'>) => versionTag('pref', row.version);

export function profileView(row: q.ProfileRow, today: string) {
  const e = energyOf(row, today);
  return {
    id: row.id,
    height_cm: row.height_cm,
    weight_kg: row.weight_kg,
    date_of_birth: row.date_of_birth,
    gender: row.gender,
    activity_level: row.activity_level,
    bmr_equation: row.bmr_equation,
    age_years: e.age_years,
    bmr_kcal: e.bmr_kcal,
    tdee_kcal: e.tdee_kcal,
    energy: e.energy,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function allergyView(row: q.AllergyRow, userId: string) {
  return {
    id: row.id,
    allergen: { id: row.allergen_id, name: row.allergen_name, category: row.allergen_category },
    severity: row.severity,
    reaction_notes: await openNote(
      { encrypted: row.notes_encrypted, keyVersion: row.notes_key_version },
      noteContext('public.user_allergies', userId),
    ),
    diagnosed_date: row.diagnosed_date,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const dietaryRestrictionView = (row: q.DietaryRestrictionRow) => ({
  id: row.id,
  restriction: { id: row.restriction_id, name: row.name, description: row.description },
  created_at: row.created_at.toISOString(),
});

export async function medicalConditionView(row: q.MedicalConditionRow, userId: string) {
  return {
    id: row.id,
    condition: {
      id: row.condition_id,
      name: row.name,
      display_name: row.display_name,
      description: row.description,
    },
    diagnosed_date: row.diagnosed_date,
    notes: await openNote(
      { encrypted: row.notes_encrypted, keyVersion: row.notes_key_version },
      noteContext('public.user_medical_conditions', userId),
    ),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function fitnessGoalView(row: q.FitnessGoalRow, profile: ProfileFacts | null, today: string) {
  return {
    id: row.id,
    goal_type: row.goal_type,
    target_weight_kg: row.target_weight_kg,
    target_calories: row.target_calories,
    weekly_activity_minutes: row.weekly_activity_minutes,
    target_date: row.target_date,
    status: row.status,
    calorie_plan: caloriePlanOf(row, profile, today),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The day's target follows the newest active goal (goals come newest first). */
export function dailyCalorieTarget(
  goals: readonly q.FitnessGoalRow[],
  profile: ProfileFacts | null,
  today: string,
) {
  const active: GoalFacts | null = goals.find((g) => g.status === 'ACTIVE') ?? null;
  return caloriePlanOf(active, profile, today);
}

export const defaultPreferences = {
  cuisines: [] as string[],
  price_range: null,
  max_distance_km: null,
  notify_email: true,
  notify_push: true,
  notify_meal_reminders: false,
  notify_wellness_check_ins: false,
};

export function preferencesView(row: q.PreferencesRow | undefined) {
  const p = row ?? defaultPreferences;
  return {
    cuisines: p.cuisines,
    price_range: p.price_range,
    max_distance_km: p.max_distance_km,
    notifications: {
      email: p.notify_email,
      push: p.notify_push,
      meal_reminders: p.notify_meal_reminders,
      wellness_check_ins: p.notify_wellness_check_ins,
    },
    updated_at: row ? row.updated_at.toISOString() : null,
  };
}
