import * as z from 'zod';
import type { Tx } from '../core/db';
import { mealFields, restaurantFields } from './schemas';

/**
 * Bulk import of a catalogue from JSON Lines: one restaurant per line with its meals, their
 * ingredients and health tags (README, "Catalogue import"). Every line is validated before anything
 * is written; a file with a bad line imports nothing unless `skipInvalid`. Rows are matched by
 * natural keys (restaurant: country, city, address, name; meal: restaurant and name; ingredient:
 * name; health tag: name), unchanged rows are not written, so importing the same file twice changes
 * nothing the second time. A meal's ingredient list and health tags become exactly the file's.
 */

const ingredientLine = z.strictObject({
  name: z.string().trim().min(1).max(100),
  allergen: z.string().min(1).max(100).nullable().default(null),
  presence: z.enum(['contains', 'may_contain']).default('contains'),
});
const tagLine = z.strictObject({
  tag: z.string().min(2).max(50),
  source: z.enum(['research_paper', 'nutritionist', 'ai_analysis', 'user_feedback', 'database_import']),
  confidence: z.number().min(0).max(1).multipleOf(0.01).default(0.8),
  verified: z.boolean().default(false),
});
const mealLine = z.strictObject({
  ...mealFields,
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
  ingredients: z.array(ingredientLine).max(200).default([]),
  health_tags: z.array(tagLine).max(50).default([]),
});
export const restaurantLine = z.strictObject({
  ...restaurantFields,
  cuisine_type: restaurantFields.cuisine_type.default(null),
  hours: restaurantFields.hours.default(null),
  phone: restaurantFields.phone.default(null),
  website: restaurantFields.website.default(null),
  rating: restaurantFields.rating.default(null),
  price_range: restaurantFields.price_range.default(null),
  is_active: restaurantFields.is_active.default(true),
  meals: z.array(mealLine).max(1000).default([]),
});
type RestaurantLine = z.infer<typeof restaurantLine>;

export interface LineError {
  readonly line: number;
  readonly errors: { path: string; message: string }[];
}
export interface Changes {
  inserted: number;
  updated: number;
  deleted: number;
}
export interface ImportReport {
  imported: boolean;
  lines: number;
  invalid: LineError[];
  changes: Record<'restaurants' | 'meals' | 'ingredients' | 'meal_ingredients' | 'health_tags', Changes>;
}

/** What validation needs from the database: allergen and tag names, known time zones. */
async function references(tx: Tx) {
  const [allergens, tags, zones] = await Promise.all([
    tx<{ name: string }[]>`select name from health.allergens`,
    tx<{ tag_name: string }[]>`select tag_name from health.health_tags where is_active`,
    tx<{ name: string }[]>`select name from pg_catalog.pg_timezone_names union select 'UTC'`,
  ]);
  return {
    allergens: new Map(allergens.map((a) => [a.name.toLowerCase(), a.name])),
    tags: new Map(tags.map((t) => [t.tag_name.toLowerCase(), t.tag_name])),
    zones: new Set(zones.map((z) => z.name)),
  };
}

const restaurantKey = (r: Pick<RestaurantLine, 'country' | 'city' | 'address' | 'name'>) =>
  JSON.stringify([r.country, r.city, r.address, r.name]);

/** Parses and checks every line; returns the good ones and a report of each bad one. */
export async function validate(tx: Tx, text: string) {
  const refs = await references(tx);
  const invalid: LineError[] = [];
  const good: { line: number; value: RestaurantLine }[] = [];
  const restaurantsSeen = new Map<string, number>();
  const ingredientAllergen = new Map<string, { allergen: string | null; line: number }>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const errors: { path: string; message: string }[] = [];
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      invalid.push({ line, errors: [{ path: '', message: 'not valid JSON' }] });
      return;
    }
    const parsed = restaurantLine.safeParse(json);
    if (!parsed.success) {
      invalid.push({
        line,
        errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      });
      return;
    }
    const r = parsed.data;
    if (!refs.zones.has(r.time_zone))
      errors.push({ path: 'time_zone', message: `unknown time zone ${r.time_zone}` });
    const key = restaurantKey(r);
    const earlier = restaurantsSeen.get(key);
    if (earlier !== undefined)
      errors.push({
        path: 'name',
        message: `duplicate restaurant: line ${earlier} has the same name and address`,
      });
    const mealNames = new Set<string>();
    // Allergens this line gives its ingredients, checked against other lines only if the line is good.
    const lineAllergens = new Map<string, string | null>();
    r.meals.forEach((m, mi) => {
      if (mealNames.has(m.name))
        errors.push({
          path: `meals.${mi}.name`,
          message: `duplicate meal ${JSON.stringify(m.name)} in this restaurant`,
        });
      mealNames.add(m.name);
      const ingredientNames = new Set<string>();
      m.ingredients.forEach((ing, ii) => {
        const path = `meals.${mi}.ingredients.${ii}`;
        if (ingredientNames.has(ing.name))
          errors.push({
            path: `${path}.name`,
            message: `ingredient ${JSON.stringify(ing.name)} listed twice in this meal`,
          });
        ingredientNames.add(ing.name);
        let allergen: string | null = null;
        if (ing.allergen !== null) {
          const known = refs.allergens.get(ing.allergen.toLowerCase());
          if (known === undefined) {
            errors.push({
              path: `${path}.allergen`,
              message: `unknown allergen ${JSON.stringify(ing.allergen)}`,
            });
            return;
          }
          allergen = known;
          ing.allergen = known;
        }
        const before = ingredientAllergen.get(ing.name) ?? { allergen: lineAllergens.get(ing.name), line };
        if (before.allergen !== undefined && before.allergen !== allergen)
          errors.push({
            path: `${path}.allergen`,
            message: `ingredient ${JSON.stringify(ing.name)} carries ${before.allergen ?? 'no allergen'} on line ${before.line}`,
          });
        lineAllergens.set(ing.name, allergen);
      });
      const tagNames = new Set<string>();
      m.health_tags.forEach((t, ti) => {
        const known = refs.tags.get(t.tag.toLowerCase()) ?? refs.tags.get(`#${t.tag}`.toLowerCase());
        if (known === undefined) {
          errors.push({
            path: `meals.${mi}.health_tags.${ti}.tag`,
            message: `unknown health tag ${JSON.stringify(t.tag)}`,
          });
          return;
        }
        if (tagNames.has(known))
          errors.push({
            path: `meals.${mi}.health_tags.${ti}.tag`,
            message: `health tag ${known} given twice`,
          });
        tagNames.add(known);
        t.tag = known;
      });
    });
    if (errors.length > 0) {
      invalid.push({ line, errors });
      return;
    }
    restaurantsSeen.set(key, line);
    for (const [name, allergen] of lineAllergens)
      if (!ingredientAllergen.has(name)) ingredientAllergen.set(name, { allergen, line });
    good.push({ line, value: r });
  });
  return { good, invalid, lines: lines.filter((l) => l.trim() !== '').length };
}

const counted = (rows: readonly { inserted: boolean }[]): Changes => ({
  inserted: rows.filter((r) => r.inserted).length,
  updated: rows.filter((r) => !r.inserted).length,
  deleted: 0,
});

/** Writes validated lines, in the caller's transaction, skipping rows that would not change. */
async function apply(tx: Tx, lines: readonly RestaurantLine[]): Promise<ImportReport['changes']> {
  const json = (v: unknown) => tx.json(v as Parameters<Tx['json']>[0]);

  const ingredients = new Map<string, string | null>();
  for (const r of lines)
    for (const m of r.meals) for (const i of m.ingredients) ingredients.set(i.name, i.allergen);
  const ingredientRows = await tx<{ inserted: boolean }[]>`
    insert into public.ingredients (name, allergen_id)
    select x.name, a.id
    from jsonb_to_recordset(${json([...ingredients].map(([name, allergen]) => ({ name, allergen })))}::jsonb)
         as x (name text, allergen text)
    left join health.allergens a on a.name = x.allergen
    on conflict on constraint ingredients_name_key do update set allergen_id = excluded.allergen_id
        where ingredients.allergen_id is distinct from excluded.allergen_id
    returning (xmax = 0) as inserted`;

  const restaurants = lines.map(({ meals: _meals, ...r }) => r);
  const restaurantRows = await tx<{ inserted: boolean }[]>`
    insert into public.restaurants (name, cuisine_type, address, city, state, zip_code, country, latitude, longitude,
                                    time_zone, hours, phone, website, rating, price_range, is_active)
    select x.name, x.cuisine_type, x.address, x.city, x.state, x.zip_code, x.country, x.latitude, x.longitude,
           x.time_zone, x.hours, x.phone, x.website, x.rating, x.price_range, x.is_active
    from jsonb_to_recordset(${json(restaurants)}::jsonb) as x (
        name text, cuisine_type text, address text, city text, state text, zip_code text, country text,
        latitude numeric, longitude numeric, time_zone text, hours jsonb, phone text, website text,
        rating numeric, price_range integer, is_active boolean)
    on conflict on constraint restaurants_natural_key do update set
        cuisine_type = excluded.cuisine_type, state = excluded.state, zip_code = excluded.zip_code,
        latitude = excluded.latitude, longitude = excluded.longitude, time_zone = excluded.time_zone,
        hours = excluded.hours, phone = excluded.phone, website = excluded.website, rating = excluded.rating,
        price_range = excluded.price_range, is_active = excluded.is_active
    where (restaurants.cuisine_type, restaurants.state, restaurants.zip_code, restaurants.latitude,
           restaurants.longitude, restaurants.time_zone, restaurants.hours, restaurants.phone, restaurants.website,
           restaurants.rating, restaurants.price_range, restaurants.is_active)
          is distinct from
          (excluded.cuisine_type, excluded.state, excluded.zip_code, excluded.latitude, excluded.longitude,
           excluded.time_zone, excluded.hours, excluded.phone, excluded.website, excluded.rating,
           excluded.price_range, excluded.is_active)
    returning (xmax = 0) as inserted`;

  const meals = lines.flatMap((r) =>
    r.meals.map(({ ingredients: _i, health_tags: _t, ...m }) => ({
      ...m,
      r_country: r.country,
      r_city: r.city,
      r_address: r.address,
      r_name: r.name,
    })),
  );
  const mealRows = await tx<{ inserted: boolean }[]>`
    insert into public.meals (restaurant_id, name, description, category, price, calories, protein_g, carbs_g,
                              fat_g, fiber_g, sodium_mg, image_url, is_available, ingredients_complete)
    select r.id, x.name, x.description, x.category, x.price, x.calories, x.protein_g, x.carbs_g, x.fat_g,
           x.fiber_g, x.sodium_mg, x.image_url, x.is_available, x.ingredients_complete
    from jsonb_to_recordset(${json(meals)}::jsonb) as x (
        r_country text, r_city text, r_address text, r_name text, name text, description text, category text,
        price numeric, calories integer, protein_g numeric, carbs_g numeric, fat_g numeric, fiber_g numeric,
        sodium_mg integer, image_url text, is_available boolean, ingredients_complete boolean)
    join public.restaurants r
      on (r.country, r.city, r.address, r.name) = (x.r_country, x.r_city, x.r_address, x.r_name)
    on conflict on constraint meals_restaurant_id_name_key do update set
        description = excluded.description, category = excluded.category, price = excluded.price,
        calories = excluded.calories, protein_g = excluded.protein_g, carbs_g = excluded.carbs_g,
        fat_g = excluded.fat_g, fiber_g = excluded.fiber_g, sodium_mg = excluded.sodium_mg,
        image_url = excluded.image_url, is_available = excluded.is_available,
        ingredients_complete = excluded.ingredients_complete
    where (meals.description, meals.category, meals.price, meals.calories, meals.protein_g, meals.carbs_g,
           meals.fat_g, meals.fiber_g, meals.sodium_mg, meals.image_url, meals.is_available,
           meals.ingredients_complete)
          is distinct from
          (excluded.description, excluded.category, excluded.price, excluded.calories, excluded.protein_g,
           excluded.carbs_g, excluded.fat_g, excluded.fiber_g, excluded.sodium_mg, excluded.image_url,
           excluded.is_available, excluded.ingredients_complete)
    returning (xmax = 0) as inserted`;

  // The imported meals' ids, by their natural key.
  const keyed = lines.flatMap((r) =>
    r.meals.map((m) => ({
      r_country: r.country,
      r_city: r.city,
      r_address: r.address,
      r_name: r.name,
      name: m.name,
    })),
  );
  const ids = await tx<{ id: string; k: number }[]>`
    select m.id, x.k
    from jsonb_to_recordset(${json(keyed.map((k, i) => ({ ...k, k: i })))}::jsonb)
         as x (r_country text, r_city text, r_address text, r_name text, name text, k integer)
    join public.restaurants r
      on (r.country, r.city, r.address, r.name) = (x.r_country, x.r_city, x.r_address, x.r_name)
    join public.meals m on m.restaurant_id = r.id and m.name = x.name`;
  const mealIdAt = new Map(ids.map((r) => [r.k, r.id]));
  const allMeals = lines.flatMap((r) => r.meals);
  const mealIds = allMeals.map((_m, i) => mealIdAt.get(i) as string);

  const links = allMeals.flatMap((m, i) =>
    m.ingredients.map((ing) => ({ meal_id: mealIds[i], ingredient: ing.name, presence: ing.presence })),
  );
  const linkRows = await tx<{ inserted: boolean }[]>`
    insert into public.meal_ingredients (meal_id, ingredient_id, presence)
    select x.meal_id, i.id, x.presence
    from jsonb_to_recordset(${json(links)}::jsonb) as x (meal_id uuid, ingredient text, presence text)
    join public.ingredients i on i.name = x.ingredient
    on conflict on constraint meal_ingredients_pkey do update set presence = excluded.presence
        where meal_ingredients.presence is distinct from excluded.presence
    returning (xmax = 0) as inserted`;
  const unlinked = await tx`
    with want as (
        select x.meal_id, i.id as ingredient_id
        from jsonb_to_recordset(${json(links)}::jsonb) as x (meal_id uuid, ingredient text)
        join public.ingredients i on i.name = x.ingredient
    )
    delete from public.meal_ingredients mi
    where mi.meal_id in (select unnest(${mealIds}::uuid[]))
      and (mi.meal_id, mi.ingredient_id) not in (select w.meal_id, w.ingredient_id from want w)`;

  const tags = allMeals.flatMap((m, i) =>
    m.health_tags.map((t) => ({
      meal_id: mealIds[i],
      tag: t.tag,
      source: t.source,
      confidence: t.confidence,
      verified: t.verified,
    })),
  );
  const tagRows = await tx<{ inserted: boolean }[]>`
    insert into health.food_tags (food_id, tag_id, source, confidence_score, verified)
    select x.meal_id, t.id, x.source, x.confidence, x.verified
    from jsonb_to_recordset(${json(tags)}::jsonb)
         as x (meal_id uuid, tag text, source text, confidence numeric, verified boolean)
    join health.health_tags t on t.tag_name = x.tag
    on conflict on constraint uq_food_tag do update set
        source = excluded.source, confidence_score = excluded.confidence_score, verified = excluded.verified
    where (food_tags.source, food_tags.confidence_score, food_tags.verified)
          is distinct from (excluded.source, excluded.confidence_score, excluded.verified)
    returning (xmax = 0) as inserted`;
  const untagged = await tx`
    with want as (
        select x.meal_id, t.id as tag_id
        from jsonb_to_recordset(${json(tags)}::jsonb) as x (meal_id uuid, tag text)
        join health.health_tags t on t.tag_name = x.tag
    )
    delete from health.food_tags ft
    where ft.food_id in (select unnest(${mealIds}::uuid[]))
      and (ft.food_id, ft.tag_id) not in (select w.meal_id, w.tag_id from want w)`;

  return {
    restaurants: counted(restaurantRows),
    meals: counted(mealRows),
    ingredients: counted(ingredientRows),
    meal_ingredients: { ...counted(linkRows), deleted: unlinked.count },
    health_tags: { ...counted(tagRows), deleted: untagged.count },
  };
}

const none = (): Changes => ({ inserted: 0, updated: 0, deleted: 0 });

/** Validates the whole file, then imports it (or its good lines, with skipInvalid) in `tx`. */
export async function importCatalogue(
  tx: Tx,
  text: string,
  options: { skipInvalid?: boolean } = {},
): Promise<ImportReport> {
  const { good, invalid, lines } = await validate(tx, text);
  if (invalid.length > 0 && !options.skipInvalid) {
    return {
      imported: false,
      lines,
      invalid,
      changes: {
        restaurants: none(),
        meals: none(),
        ingredients: none(),
        meal_ingredients: none(),
        health_tags: none(),
      },
    };
  }
  const changes = await apply(
    tx,
    good.map((g) => g.value),
  );
  return { imported: true, lines, invalid, changes };
}
