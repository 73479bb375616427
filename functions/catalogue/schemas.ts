import * as z from 'zod';

const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });
/** A timestamp a client sends: up to nanoseconds and an offset (35 characters). */
const sentTimestamp = timestamp.max(35);

export const idParams = z.strictObject({ id });
export const itemsOf = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) });
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), next_cursor: z.string().nullable() });

/** The widest search circle: beyond it a "nearby" list stops meaning anything and costs a full scan. */
export const maxRadiusKm = 200;

const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const nearMessage = 'near is <latitude>,<longitude> in decimal degrees';

/** `near=<lat>,<lon>` in decimal degrees. */
export const near = z
  .string()
  .max(64)
  // The syntax the transform reads (two decimals, blanks around either allowed): its ranges follow.
  .regex(/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*,\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/, nearMessage)
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => p.trim());
    const [lat, lon] = parts.map(Number);
    if (
      parts.length !== 2 ||
      !parts.every((p) => decimal.test(p)) ||
      lat === undefined ||
      lon === undefined
    ) {
      ctx.addIssue({ code: 'custom', message: nearMessage });
      return z.NEVER;
    }
    if (lat < -90 || lat > 90) {
      ctx.addIssue({ code: 'custom', message: 'latitude must be between -90 and 90' });
      return z.NEVER;
    }
    if (lon < -180 || lon > 180) {
      ctx.addIssue({ code: 'custom', message: 'longitude must be between -180 and 180' });
      return z.NEVER;
    }
    return { lat, lon };
  });

const limit = z.coerce.number().int().min(1).max(100).default(20);
const cursor = z.string().max(400).optional();
const bool = z.enum(['true', 'false']).transform((b) => b === 'true');

export const restaurantsQuery = z.strictObject({
  near,
  radius_km: z.coerce.number().positive().max(maxRadiusKm, `at most ${maxRadiusKm} km`).default(25),
  cuisine: z.string().min(1).max(50).optional(),
  price_max: z.coerce.number().int().min(1).max(4).optional(),
  open_now: bool.optional(),
  open_at: sentTimestamp
    .optional()
    .describe('With open_now: open (or not) at this instant instead of now, e.g. to plan ahead'),
  limit,
  cursor,
});
export type RestaurantsQuery = z.infer<typeof restaurantsQuery>;

export const mealsSearchQuery = z.strictObject({
  q: z.string().trim().min(1, 'say what to search for').max(200),
  near: near.optional(),
  limit,
  cursor,
});
export type MealsSearchQuery = z.infer<typeof mealsSearchQuery>;

export const restaurantQuery = z.strictObject({ near: near.optional() });

// ---- opening hours ---------------------------------------------------------------------------

const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const hm = '(?:[01][0-9]|2[0-3]):[0-5][0-9]';
const span = `${hm}-(?:${hm}|24:00)`;
const spans = new RegExp(`^\\s*${span}(?:\\s*,\\s*${span})*\\s*$`);
const day = `(?:${days.join('|')})`;
/** daily, a day or a range of two days: the rest (no day twice, no range of one day) is checked below. */
const hoursKey = z
  .string()
  .max(7)
  .regex(new RegExp(`^(?:daily|${day}(?:-${day})?)$`), 'a key is daily, mon..sun or a range such as mon-fri');
const hoursSpans = z.string().max(200).regex(spans, 'spans are HH:MM-HH:MM, comma-separated');

/** ISO weekdays (1 = Monday) an opening-hours key names, as `public.opening_hours_days` reads it. */
export function daysOf(key: string): number[] | null {
  if (key === 'daily') return [1, 2, 3, 4, 5, 6, 7];
  const m = /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(key);
  if (!m) return null;
  const from = days.indexOf(m[1] as (typeof days)[number]) + 1;
  const to = m[2] === undefined ? from : days.indexOf(m[2] as (typeof days)[number]) + 1;
  if (from === 0 || to === 0 || (m[2] !== undefined && from === to)) return null;
  const out = [from];
  for (let d = from; d !== to;) {
    d = (d % 7) + 1;
    out.push(d);
  }
  return out;
}

/** The catalogue's opening-hours format, checked as `public.opening_hours_valid` checks it. */
export const hours = z
  .record(hoursKey, hoursSpans, {
    error: (issue) =>
      issue.code === 'invalid_key' ? 'a key is daily, mon..sun or a range such as mon-fri' : undefined,
  })
  .superRefine((h, ctx) => {
    const seen = new Set<number>();
    for (const [key, value] of Object.entries(h)) {
      const ds = daysOf(key);
      if (!ds) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a key is daily, mon..sun or a range such as mon-fri',
        });
        continue;
      }
      if (ds.some((d) => seen.has(d)))
        ctx.addIssue({ code: 'custom', path: [key], message: 'names a day another key names too' });
      ds.forEach((d) => seen.add(d));
      if (!spans.test(value)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'spans are HH:MM-HH:MM, comma-separated' });
      } else if (value.split(',').some((s) => s.trim().split('-')[0] === s.trim().split('-')[1])) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a span must not open and close at the same time',
        });
      }
    }
  })
  .describe(
    'Keys daily, mon..sun or day ranges (fri-mon wraps); values "HH:MM-HH:MM" spans, comma-separated; a span closing at or before its opening runs past midnight; days not named are closed; wall-clock times in time_zone',
  );

// ---- answers --------------------------------------------------------------------------------

export const restaurant = z.strictObject({
  id,
  name: z.string(),
  cuisine_type: z.string().nullable(),
  address: z.string(),
  city: z.string(),
  state: z.string(),
  zip_code: z.string(),
  country: z.string(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  time_zone: z.string().nullable(),
  hours: z.record(z.string(), z.string()).nullable(),
  open_now: z.boolean().nullable().describe('null when the hours or the time zone are unknown'),
  phone: z.string().nullable(),
  website: z.string().nullable(),
  rating: z.number().nullable(),
  price_range: z.number().int().nullable(),
  is_active: z.boolean(),
  distance_km: z.number().nullable().describe('Great-circle distance from `near`; null without it'),
});

export const safety = z.strictObject({
  safe: z.boolean().describe('The answer of is_meal_safe_for_user (sql/README.md §4) for the caller'),
  level: z
    .enum(['safe', 'caution', 'unsafe'])
    .describe('caution: safe by the rules, with a warning (may contain a mild or moderate allergen)'),
  reasons: z.array(
    z.strictObject({
      code: z.enum(['contains_allergen', 'may_contain_allergen', 'ingredients_incomplete', 'no_ingredients']),
      allergen: z.string(),
      severity: z.enum(['MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING']),
      ingredient: z.string().nullable(),
      message: z.string(),
    }),
  ),
});
export type Safety = z.infer<typeof safety>;

const nutrition = z.strictObject({
  calories: z.number().int().nullable(),
  protein_g: z.number().nullable(),
  carbs_g: z.number().nullable(),
  fat_g: z.number().nullable(),
  fiber_g: z.number().nullable(),
  sodium_mg: z.number().int().nullable(),
});

export const meal = z.strictObject({
  id,
  restaurant_id: id,
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number(),
  image_url: z.string().nullable(),
  nutrition,
  is_available: z.boolean(),
  ingredients_complete: z
    .boolean()
    .describe(
      'The restaurant declared its whole ingredient list; needed before a meal is safe for a severe allergy',
    ),
  ingredients: z.array(
    z.strictObject({
      id,
      name: z.string(),
      presence: z.enum(['contains', 'may_contain']),
      allergen: z.strictObject({ id, name: z.string() }).nullable(),
    }),
  ),
  health_tags: z.array(
    z.strictObject({
      id,
      tag: z.string(),
      category: z.string(),
      source: z.string(),
      confidence: z.number(),
      verified: z.boolean(),
    }),
  ),
  safety,
});

export const mealHit = meal.extend({
  restaurant: z.strictObject({ id, name: z.string(), city: z.string() }),
  distance_km: z.number().nullable(),
  relevance: z.number().describe('Full-text rank of the words in name (weighted) and description'),
});

export const restaurantDetail = restaurant.extend({ meal_count: z.number().int() });

// ---- administration -------------------------------------------------------------------------

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().min(1).max(max).nullable();

export const restaurantFields = {
  name: text(255),
  cuisine_type: optionalText(50),
  address: text(2000),
  city: text(100),
  state: text(50),
  zip_code: text(10).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes'),
  country: z
    .string()
    .length(2, 'an ISO 3166 alpha-2 code such as US')
    .regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code such as US'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  time_zone: z.string().min(1).max(64).describe('IANA zone, e.g. America/Los_Angeles'),
  hours: hours.nullable(),
  phone: z
    .string()
    .trim()
    .min(1)
    .max(20)
    .regex(/^\+?[0-9 ()./-]+(?: ?(?:x|ext\.?) ?[0-9]+)?$/, 'digits, spaces, + ( ) . / - and an extension')
    .nullable(),
  website: z
    .url({ protocol: /^https?$/, error: 'an http or https address' })
    .max(255)
    .nullable(),
  rating: z.number().min(0).max(5).nullable(),
  price_range: z.number().int().min(1).max(4).nullable(),
  is_active: z.boolean(),
};
const restaurantDefaults = {
  cuisine_type: null,
  hours: null,
  phone: null,
  website: null,
  rating: null,
  price_range: null,
  is_active: true,
} as const;

export const postRestaurantBody = z.strictObject({
  ...restaurantFields,
  cuisine_type: restaurantFields.cuisine_type.default(restaurantDefaults.cuisine_type),
  hours: restaurantFields.hours.default(restaurantDefaults.hours),
  phone: restaurantFields.phone.default(null),
  website: restaurantFields.website.default(null),
  rating: restaurantFields.rating.default(null),
  price_range: restaurantFields.price_range.default(null),
  is_active: restaurantFields.is_active.default(true),
});
export const patchRestaurantBody = z
  .strictObject(restaurantFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'change at least one field')
  .refine(
    (b) => (b.latitude === undefined) === (b.longitude === undefined),
    'change latitude and longitude together',
  );

// min, not positive(): a subnormal such as 5e-324 is more than 0 and a multiple of 0.01 to zod, and
// is 0.00 in the numeric(10, 2) column, which its check (price > 0) then refuses.
const price = z
  .number()
  .min(0.01, 'a price is at least 0.01')
  .max(99999999.99)
  .multipleOf(0.01, 'whole cents');
const grams = z.number().min(0).max(9999.9);
export const mealFields = {
  name: text(255),
  description: optionalText(5000),
  category: optionalText(50),
  price,
  calories: z.number().int().min(0).max(5000).nullable(),
  protein_g: grams.nullable(),
  carbs_g: grams.nullable(),
  fat_g: grams.nullable(),
  fiber_g: grams.nullable(),
  sodium_mg: z.number().int().min(0).max(1000000).nullable(),
  image_url: z.url().max(500).nullable(),
  is_available: z.boolean(),
  ingredients_complete: z.boolean(),
};
export const postMealBody = z.strictObject({
  ...mealFields,
  restaurant_id: id,
  description: mealFields.description.default(null),
  category: mealFields.category.default(null),
  calories: mealFields.calories.default(null),
  protein_g: mealFields.protein_g.default(null),
  carbs_g: mealFields.carbs_g.default(null),
  fat_g: mealFields.fat_g.default(null),
  fiber_g: mealFields.fiber_g.default(null),
  sodium_mg: mealFields.sodium_mg.default(null),
  image_url: mealFields.image_url.default(null),
  is_available: mealFields.is_available.default(true),
  ingredients_complete: mealFields.ingredients_complete.default(false),
});
export const patchMealBody = z
  .strictObject(mealFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const ingredient = z.strictObject({
  id,
  name: z.string(),
  allergen: z.strictObject({ id, name: z.string() }).nullable(),
  updated_at: timestamp,
});
export const postIngredientBody = z.strictObject({
  name: text(100),
  allergen_id: id.nullable().default(null),
});
export const patchIngredientBody = z
  .strictObject({ name: text(100), allergen_id: id.nullable() })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');
export const ingredientsQuery = z.strictObject({ q: z.string().trim().min(1).max(100).optional() });

export const mealIngredientParams = z.strictObject({ id, ingredientId: id });
export const putMealIngredientBody = z.strictObject({ presence: z.enum(['contains', 'may_contain']) });
export const foodTagParams = z.strictObject({ id, tagId: id });
export const putFoodTagBody = z.strictObject({
  source: z.enum(['research_paper', 'nutritionist', 'ai_analysis', 'user_feedback', 'database_import']),
  confidence: z.number().min(0).max(1).multipleOf(0.01).default(0.8),
  verified: z.boolean().default(false),
});

export const importBody = z.strictObject({
  jsonl: z.string().max(1_000_000).describe('The catalogue file: JSON Lines (README, "Catalogue import")'),
  skip_invalid: z.boolean().default(false),
});
export const importReport = z.strictObject({
  imported: z.boolean(),
  lines: z.number().int(),
  invalid: z.array(
    z.strictObject({
      line: z.number().int(),
      errors: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    }),
  ),
  changes: z.record(
    z.string(),
    z.strictObject({ inserted: z.number().int(), updated: z.number().int(), deleted: z.number().int() }),
  ),
});
