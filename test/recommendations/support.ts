import { randomUUID } from 'node:crypto';
import type { Sql } from '../../functions/core/db';

/**
 * Catalogue and person rows written directly as the owner, the way an import or another domain
 * would leave them: the recommendation routes only read them.
 */

export interface RestaurantSpec {
  lat: number;
  lon: number;
  name?: string;
  cuisine?: string | null;
  priceRange?: number | null;
  active?: boolean;
}

export async function restaurant(sql: Sql, s: RestaurantSpec): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.restaurants
      (name, cuisine_type, address, city, state, zip_code, latitude, longitude, price_range, is_active)
    values (${s.name ?? `R ${randomUUID().slice(0, 6)}`}, ${s.cuisine ?? null}, '1 Main St', 'Town', 'WA', '98101',
            ${s.lat}, ${s.lon}, ${s.priceRange ?? null}, ${s.active ?? true})
    returning id`;
  return row!.id;
}

export interface MealSpec {
  name?: string;
  price?: number;
  calories?: number | null;
  protein?: number | null;
  carbs?: number | null;
  fat?: number | null;
  fiber?: number | null;
  sodium?: number | null;
  available?: boolean;
  complete?: boolean;
  certifications?: string[];
  /** Ingredient ids with their presence. */
  ingredients?: { id: string; presence?: 'contains' | 'may_contain' }[];
}

export async function meal(sql: Sql, restaurantId: string, s: MealSpec = {}): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.meals
      (restaurant_id, name, price, calories, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, is_available,
       ingredients_complete, certifications)
    values (${restaurantId}, ${s.name ?? `Meal ${randomUUID().slice(0, 6)}`}, ${s.price ?? 12},
            ${s.calories === undefined ? 600 : s.calories}, ${s.protein === undefined ? 25 : s.protein},
            ${s.carbs === undefined ? 50 : s.carbs}, ${s.fat === undefined ? 20 : s.fat},
            ${s.fiber === undefined ? 6 : s.fiber}, ${s.sodium === undefined ? 400 : s.sodium},
            ${s.available ?? true}, ${s.complete ?? true}, ${s.certifications ?? []})
    returning id`;
  for (const i of s.ingredients ?? [])
    await sql`
      insert into public.meal_ingredients (meal_id, ingredient_id, presence)
      values (${row!.id}, ${i.id}, ${i.presence ?? 'contains'})`;
  return row!.id;
}

export async function ingredient(
  sql: Sql,
  allergen: string | null,
  traits: string[] | null = [],
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.ingredients (name, allergen_id, diet_traits)
    values (${`ingredient ${randomUUID()}`}, (select id from health.allergens where name = ${allergen}), ${traits})
    returning id`;
  return row!.id;
}

export async function allergenId(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from health.allergens where name = ${name}`;
  return row!.id;
}

async function profileOf(sql: Sql, userId: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.health_profiles (user_id) values (${userId})
    on conflict on constraint uq_one_profile_per_user do update set user_id = excluded.user_id
    returning id`;
  return row!.id;
}

export interface PersonSpec {
  profile?: {
    height_cm: number;
    weight_kg: number;
    date_of_birth: string;
    gender: string;
    activity_level: string;
  };
  allergies?: { allergen: string; severity: 'MILD' | 'MODERATE' | 'SEVERE' | 'LIFE_THREATENING' }[];
  diets?: string[];
  conditions?: string[];
  maxKm?: number;
  cuisines?: string[];
  priceRange?: number;
  goal?: string;
}

export async function person(sql: Sql, userId: string, p: PersonSpec): Promise<void> {
  const profileId = await profileOf(sql, userId);
  if (p.profile)
    await sql`
      update public.health_profiles set height_cm = ${p.profile.height_cm}, weight_kg = ${p.profile.weight_kg},
        date_of_birth = ${p.profile.date_of_birth}, gender = ${p.profile.gender},
        activity_level = ${p.profile.activity_level}
      where id = ${profileId}`;
  for (const a of p.allergies ?? [])
    await sql`
      insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity)
      select ${userId}, ${profileId}, id, ${a.severity} from health.allergens where name = ${a.allergen}`;
  for (const d of p.diets ?? [])
    await sql`
      insert into public.user_dietary_restrictions (user_id, health_profile_id, restriction_id)
      select ${userId}, ${profileId}, id from health.dietary_restrictions_ref where name = ${d}`;
  for (const c of p.conditions ?? [])
    await sql`
      insert into public.user_medical_conditions (user_id, health_profile_id, condition_id)
      select ${userId}, ${profileId}, id from health.medical_conditions_ref where name = ${c}`;
  if (p.goal)
    await sql`
      insert into public.user_fitness_goals (user_id, health_profile_id, goal_type)
      values (${userId}, ${profileId}, ${p.goal})`;
  if (p.maxKm !== undefined || p.cuisines || p.priceRange !== undefined)
    await sql`
      insert into public.user_preferences (user_id, cuisines, price_range, max_distance_km)
      values (${userId}, ${p.cuisines ?? []}, ${p.priceRange ?? null}, ${p.maxKm ?? null})
      on conflict (user_id) do update set cuisines = excluded.cuisines, price_range = excluded.price_range,
        max_distance_km = excluded.max_distance_km`;
}

export async function consent(sql: Sql, userId: string): Promise<void> {
  await sql`
    insert into public.user_consents (user_id, consent_type, policy_version)
    values (${userId}, 'mental_health_tracking', '2026-01')`;
}

/** A week of logs: high stress, short sleep, low mood. */
export async function hardWeek(sql: Sql, userId: string): Promise<void> {
  for (let d = 1; d <= 5; d += 1) {
    await sql`
      insert into health.stress_logs (user_id, stress_level, stress_label, logged_at)
      values (${userId}, 8, 'high', now() - make_interval(days => ${d}))`;
    await sql`
      insert into health.mood_logs (user_id, mood_score, mood_label, logged_at)
      values (${userId}, 3, 'poor', now() - make_interval(days => ${d}))`;
    await sql`
      insert into health.sleep_logs (user_id, sleep_date, bedtime, wake_time, quality_score, quality_label)
      values (${userId}, current_date - ${d}::int, '01:30', '06:00', 3, 'poor')`;
  }
}

export async function tag(
  sql: Sql,
  mealId: string,
  tagName: string,
  confidence = 0.9,
  verified = true,
): Promise<void> {
  await sql`
    insert into health.food_tags (food_id, tag_id, confidence_score, source, verified)
    select ${mealId}, id, ${confidence}, 'nutritionist', ${verified} from health.health_tags where tag_name = ${tagName}`;
}
