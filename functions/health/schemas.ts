import * as z from 'zod';

/** Free text about a person's health: stored only as ciphertext (functions/core/notes.ts). */
const note = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'no NUL characters')
    .nullable();

const date = z.iso.date();
const timestamp = z.iso.datetime({ offset: true });
const id = z.uuid();

export const idParams = z.strictObject({ id });

// ---- reference catalogues ------------------------------------------------------------------

export const allergenRef = z
  .strictObject({
    id,
    name: z.string(),
    category: z.enum(['Food', 'Environmental', 'Medication', 'Other']),
    description: z.string().nullable(),
    common_foods: z.array(z.string()),
    parent_id: id
      .nullable()
      .describe('An allergy to the parent (e.g. cereals containing gluten) covers this one'),
    fda_recognized: z.boolean(),
    eu_recognized: z.boolean(),
  })
  .meta({ id: 'Allergen' });
export const dietaryRestrictionRef = z
  .strictObject({ id, name: z.string(), description: z.string() })
  .meta({ id: 'DietaryRestrictionRef' });
export const medicalConditionRef = z
  .strictObject({
    id,
    name: z.string(),
    display_name: z.string(),
    description: z.string(),
  })
  .meta({ id: 'MedicalConditionRef' });
export const itemsOf = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) });

// ---- health profile ------------------------------------------------------------------------

export const gender = z.enum(['male', 'female', 'other', 'prefer_not_to_say']).meta({ id: 'Gender' });
export const activityLevel = z
  .enum(['sedentary', 'light', 'moderate', 'active', 'very_active'])
  .meta({ id: 'ActivityLevel' });
export const bmrEquation = z
  .enum(['male', 'female', 'average'])
  .describe(
    'Which Mifflin-St Jeor equation to use for the energy estimate: male (+5), female (-161) or their average (-78). Optional; without it the equation of the gender is used, and none for other or prefer_not_to_say.',
  )
  .meta({ id: 'BmrEquation' });

export const putProfileBody = z
  .strictObject({
    height_cm: z.int().min(50, 'at least 50 cm').max(300, 'at most 300 cm').nullable().default(null),
    weight_kg: z
      .number()
      .min(20, 'at least 20 kg')
      .max(500, 'at most 500 kg')
      .multipleOf(0.01, 'at most two decimals')
      .nullable()
      .default(null),
    date_of_birth: date
      .refine((d) => d >= '1900-01-01', 'on or after 1900-01-01')
      .nullable()
      .default(null),
    gender: gender.nullable().default(null),
    activity_level: activityLevel.nullable().default(null),
    bmr_equation: bmrEquation.nullable().default(null),
  })
  .meta({ id: 'HealthProfileBody' });

export const energy = z
  .strictObject({
    equation: z
      .enum(['mifflin_st_jeor_male', 'mifflin_st_jeor_female', 'mifflin_st_jeor_average'])
      .nullable(),
    equation_chosen_by_user: z.boolean(),
    activity_factor: z.number().nullable(),
    missing: z
      .array(z.enum(['height_cm', 'weight_kg', 'date_of_birth', 'gender_or_bmr_equation', 'activity_level']))
      .describe('What the estimate still needs'),
    explanation: z.string(),
  })
  .meta({ id: 'Energy' });

export const profile = z
  .strictObject({
    id,
    height_cm: z.int().nullable(),
    weight_kg: z.number().nullable(),
    date_of_birth: date.nullable(),
    gender: gender.nullable(),
    activity_level: activityLevel.nullable(),
    bmr_equation: bmrEquation.nullable(),
    age_years: z.int().nullable().describe("Whole years as of today in the person's time zone"),
    bmr_kcal: z.int().nullable().describe('Basal metabolic rate, kcal a day (Mifflin-St Jeor)'),
    tdee_kcal: z.int().nullable().describe('Total daily energy expenditure: BMR x the activity factor'),
    energy,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'HealthProfile' });

// ---- allergies, diets, conditions ----------------------------------------------------------

export const severity = z.enum(['MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING']).meta({ id: 'Severity' });
/** A day that has happened somewhere on Earth already (UTC+14 is the earliest today). */
const pastDate = date
  .refine((d) => d >= '1900-01-01', 'on or after 1900-01-01')
  .refine((d) => d <= new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10), 'not in the future');

export const allergy = z
  .strictObject({
    id,
    allergen: z.strictObject({ id, name: z.string(), category: z.string() }),
    severity,
    reaction_notes: z.string().nullable(),
    diagnosed_date: date.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Allergy' });
export const postAllergyBody = z
  .strictObject({
    allergen_id: id,
    severity,
    reaction_notes: note(500).default(null),
    diagnosed_date: pastDate.nullable().default(null),
  })
  .meta({ id: 'NewAllergyBody' });
export const patchAllergyBody = z
  .strictObject({
    severity: severity.optional(),
    reaction_notes: note(500).optional(),
    diagnosed_date: pastDate.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .meta({ id: 'AllergyChangeBody' });

export const dietaryRestriction = z
  .strictObject({
    id,
    restriction: dietaryRestrictionRef,
    created_at: timestamp,
  })
  .meta({ id: 'DietaryRestriction' });
export const postDietaryRestrictionBody = z
  .strictObject({ restriction_id: id })
  .meta({ id: 'NewDietaryRestrictionBody' });

export const medicalCondition = z
  .strictObject({
    id,
    condition: medicalConditionRef,
    diagnosed_date: date.nullable(),
    notes: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'MedicalCondition' });
export const postMedicalConditionBody = z
  .strictObject({
    condition_id: id,
    diagnosed_date: pastDate.nullable().default(null),
    notes: note(500).default(null),
  })
  .meta({ id: 'NewMedicalConditionBody' });
export const patchMedicalConditionBody = z
  .strictObject({ diagnosed_date: pastDate.nullable().optional(), notes: note(500).optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .meta({ id: 'MedicalConditionChangeBody' });

// ---- fitness goals -------------------------------------------------------------------------

export const goalType = z
  .enum(['weight_loss', 'weight_gain', 'muscle_gain', 'maintenance', 'endurance', 'general_fitness'])
  .meta({ id: 'GoalType' });
export const goalStatus = z.enum(['ACTIVE', 'PAUSED', 'COMPLETED', 'ABANDONED']).meta({ id: 'GoalStatus' });

export const caloriePlan = z
  .strictObject({
    tdee_kcal: z.int().nullable(),
    adjustment_kcal: z.int().nullable().describe('Added to TDEE for this goal; negative for a deficit'),
    daily_target_kcal: z.int().nullable(),
    floor_kcal: z.int().describe('The day’s target never goes below this'),
    floor_applied: z.boolean(),
    explanation: z.string(),
  })
  .meta({ id: 'CaloriePlan' });

export const fitnessGoal = z
  .strictObject({
    id,
    goal_type: goalType,
    target_weight_kg: z.number().nullable(),
    target_calories: z.int().nullable(),
    weekly_activity_minutes: z.int().nullable(),
    target_date: date.nullable(),
    status: goalStatus,
    calorie_plan: caloriePlan,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'FitnessGoal' });

const goalFields = {
  target_weight_kg: z.number().min(20).max(500).multipleOf(0.01, 'at most two decimals').nullable(),
  target_calories: z.int().min(800, 'at least 800 kcal').max(10000, 'at most 10000 kcal').nullable(),
  weekly_activity_minutes: z.int().min(0).max(10080, 'at most a whole week').nullable(),
  target_date: date.refine((d) => d <= '2200-01-01', 'before 2200').nullable(),
};
export const postFitnessGoalBody = z
  .strictObject({
    goal_type: goalType,
    target_weight_kg: goalFields.target_weight_kg.default(null),
    target_calories: goalFields.target_calories.default(null),
    weekly_activity_minutes: goalFields.weekly_activity_minutes.default(null),
    target_date: goalFields.target_date.default(null),
  })
  .meta({ id: 'NewFitnessGoalBody' });
export const patchFitnessGoalBody = z
  .strictObject({
    target_weight_kg: goalFields.target_weight_kg.optional(),
    target_calories: goalFields.target_calories.optional(),
    weekly_activity_minutes: goalFields.weekly_activity_minutes.optional(),
    target_date: goalFields.target_date.optional(),
    status: goalStatus.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .meta({ id: 'FitnessGoalChangeBody' });

// ---- preferences ---------------------------------------------------------------------------

export const notifications = z
  .strictObject({
    email: z.boolean(),
    push: z.boolean(),
    meal_reminders: z.boolean(),
    wellness_check_ins: z.boolean(),
  })
  .meta({ id: 'Notifications' });
export const preferences = z
  .strictObject({
    cuisines: z.array(z.string()),
    price_range: z.int().nullable().describe('Highest price range, 1 ($) to 4 ($$$$)'),
    max_distance_km: z.number().nullable(),
    notifications,
    updated_at: timestamp.nullable().describe('Null until preferences are first saved'),
  })
  .meta({ id: 'Preferences' });
export const putPreferencesBody = z
  .strictObject({
    cuisines: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(50)
          .regex(/^[\p{L}\p{N} &'-]+$/u, "letters, digits, spaces, & ' and -")
          .transform((c) => c.toLowerCase()),
      )
      .max(20, 'at most 20 cuisines')
      .default([])
      .transform((cs) => [...new Set(cs)]),
    price_range: z.int().min(1).max(4).nullable().default(null),
    max_distance_km: z
      .number()
      .min(0.1, 'at least 0.1 km') // not gt(0): 5e-324 passes that and is 0.0 in the column
      .max(200, 'at most 200 km')
      .multipleOf(0.1, 'at most one decimal')
      .nullable()
      .default(null),
    notifications: notifications.default({
      email: true,
      push: true,
      meal_reminders: false,
      wellness_check_ins: false,
    }),
  })
  .meta({ id: 'PreferencesBody' });

// ---- the whole picture ---------------------------------------------------------------------

export const health = z
  .strictObject({
    profile: profile.nullable(),
    allergies: z.array(allergy),
    dietary_restrictions: z.array(dietaryRestriction),
    medical_conditions: z.array(medicalCondition),
    fitness_goals: z.array(fitnessGoal),
    preferences,
    daily_calorie_target: caloriePlan.describe(
      'The day’s energy target: TDEE adjusted by the newest active fitness goal',
    ),
  })
  .meta({ id: 'HealthOverview' });
