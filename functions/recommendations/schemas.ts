import * as z from 'zod';

const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });

export const idParams = z.strictObject({ id });

export const mealTime = z.enum(['breakfast', 'lunch', 'dinner', 'snack']);

/** `<lat>,<lon>` in decimal degrees. */
export const near = z
  .string()
  .max(64)
  .regex(
    /^-?\d{1,3}(\.\d{1,10})?,-?\d{1,3}(\.\d{1,10})?$/,
    'latitude,longitude in decimal degrees, e.g. 47.61,-122.34',
  )
  .transform((s) => s.split(',').map(Number) as [number, number])
  .refine(([lat]) => lat >= -90 && lat <= 90, 'the latitude must be between -90 and 90')
  .refine(([, lon]) => lon >= -180 && lon <= 180, 'the longitude must be between -180 and 180')
  .transform(([lat, lon]) => ({ lat, lon }));

export const recommendationsQuery = z.strictObject({
  near: near.describe('Where the person is: latitude,longitude'),
  meal: mealTime.optional().describe("Which meal; without it, the one of the hour in the person's time zone"),
  limit: z
    .string()
    .max(3, 'a whole number from 1 to 50')
    .regex(/^\d{1,3}$/, 'a whole number from 1 to 50')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 50, 'a whole number from 1 to 50')
    .default(10),
});

const reason = z.strictObject({
  code: z.string().describe('Stable code, e.g. calorie_fit, protein, wellness_stress_relief'),
  sentence: z.string(),
  points: z.number(),
});

const warning = z.strictObject({
  code: z.enum(['may_contain_allergen', 'ingredients_incomplete']),
  sentence: z.string(),
  allergen: z.string().nullable(),
});

const leftOut = z.strictObject({
  code: z.enum([
    'allergy',
    'incomplete_ingredients',
    'dietary_restriction',
    'medical_condition',
    'unavailable',
    'restaurant_inactive',
    'reaction',
    'resting',
  ]),
  subject: z.string().nullable().describe('The allergen, diet or condition it is about'),
  count: z.int(),
  sentence: z.string(),
});

export const recommendationItem = z.strictObject({
  id: id.describe('The stored recommendation: accept or dismiss it by this id'),
  rank: z.int(),
  score: z.number().min(0).max(1),
  meal: z.strictObject({
    id,
    name: z.string(),
    description: z.string().nullable(),
    category: z.string().nullable(),
    price: z.number(),
    calories: z.int().nullable(),
    protein_g: z.number().nullable(),
    carbs_g: z.number().nullable(),
    fat_g: z.number().nullable(),
    fiber_g: z.number().nullable(),
    sodium_mg: z.int().nullable(),
    ingredients_complete: z.boolean(),
  }),
  restaurant: z.strictObject({
    id,
    name: z.string(),
    cuisine_type: z.string().nullable(),
    price_range: z.int().nullable(),
    distance_km: z.number(),
  }),
  reasons: z.array(reason),
  warnings: z.array(warning),
});

export const recommendations = z.strictObject({
  meal: mealTime,
  near: z.strictObject({ lat: z.number(), lon: z.number() }),
  max_distance_km: z.number(),
  calorie_target: z
    .strictObject({ daily_kcal: z.int(), meal_kcal: z.int(), share: z.number() })
    .nullable()
    .describe('This meal’s share of the day’s target; null until the profile allows an estimate'),
  mental_wellness_considered: z
    .boolean()
    .describe('Whether the last 7 days of mood, stress and sleep logs shaped the ranking (needs consent)'),
  algorithm_version: z.string(),
  items: z.array(recommendationItem),
  left_out: z.strictObject({
    considered: z.int().describe('Meals within your distance'),
    hidden: z.int().describe('Of those, meals hidden by a hard filter'),
    resting: z.int().describe('Meals you dismissed or rated low, resting for a while'),
    reasons: z.array(leftOut).describe('By reason; a meal hidden for two reasons counts under both'),
  }),
});

export const recommendation = z.strictObject({
  id,
  meal_id: id,
  restaurant_id: id,
  meal: mealTime.nullable(),
  status: z.enum(['shown', 'accepted', 'dismissed']),
  score: z.number().nullable(),
  algorithm_version: z.string().nullable(),
  shown_at: timestamp,
  responded_at: timestamp.nullable(),
});

export const postFeedbackBody = z
  .strictObject({
    recommendation_id: id.optional(),
    meal_id: id.optional(),
    rating: z.int().min(1, 'from 1 to 5').max(5, 'from 1 to 5'),
    comment: z
      .string()
      .max(1000, 'at most 1000 characters')
      .refine((s) => !s.includes('\u0000'), 'no NUL characters')
      .nullable()
      .default(null),
    reaction: z
      .boolean()
      .default(false)
      .describe('I reacted to this meal: never recommend it to me again, and have the catalogue reviewed'),
  })
  .refine((b) => b.recommendation_id !== undefined || b.meal_id !== undefined, {
    message: 'name the meal or the recommendation',
    path: ['meal_id'],
  });

export const feedback = z.strictObject({
  id,
  recommendation_id: id.nullable(),
  meal_id: id.nullable(),
  rating: z.int(),
  comment: z.string().nullable(),
  reaction: z.boolean(),
  created_at: timestamp,
});
