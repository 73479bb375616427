import type { Tx } from '../core/db';
import type { StoredNote } from '../core/notes';

/**
 * All SQL of the recommendations domain. Every statement runs in the signed-in request's
 * transaction as `eatsential_write` with `app.current_user_id` set, so row-level security limits
 * allergies, diets, conditions, logs, recommendations and feedback to the caller's own; the
 * `user_id = ...` conditions are there for the indexes, not for safety.
 */

/** A rectangle of point(longitude, latitude): [west, south, east, north]. */
export type Box = readonly [number, number, number, number];

export interface CandidateQuery {
  readonly userId: string;
  readonly lon: number;
  readonly lat: number;
  /** One or two boxes (two when the circle crosses the antimeridian) that hold the circle. */
  readonly boxes: readonly [Box, Box];
  readonly maxKm: number;
  /** Read the meals' mental-wellness tags: only with the person's mental-health consent. */
  readonly withWellnessTags: boolean;
}

export interface EligibleMeal {
  id: string;
  name: string;
  description: string | null;
  category: string | null;
  price: number;
  calories: number | null;
  protein_g: number | null;
  carbs_g: number | null;
  fat_g: number | null;
  fiber_g: number | null;
  sodium_mg: number | null;
  ingredients_complete: boolean;
  restaurant_id: string;
  restaurant_name: string;
  cuisine_type: string | null;
  price_range: number | null;
  km: number;
  /** Keys `allergy:<allergen id>` of mild or moderate allergies the meal may contain. */
  warns: string[] | null;
  tags: {
    tag: string;
    tag_id: string;
    effectiveness: number | null;
    confidence: number;
    verified: boolean;
  }[];
}

export interface Candidates {
  considered: number;
  hidden: number;
  /** Meals hidden, by reason key: `allergy:<id>`, `diet:<id>`, `condition:<id>`, `incomplete_ingredients`, `unavailable`, `restaurant_inactive`, `reaction`. */
  left_out: Record<string, number>;
  eligible: EligibleMeal[];
}

const box = (tx: Tx, b: Box) =>
  tx`box(point(${b[0]}::float8, ${b[1]}::float8), point(${b[2]}::float8, ${b[3]}::float8))`;

/**
 * The hard filters, in one set-based statement (sql/README.md §9). Restaurants come from the GiST
 * index on `location` (the boxes), then the great-circle distance; a meal's ingredient list is read
 * from public.meal_facts (allergens and diet traits as arrays, kept by triggers). Each nearby meal gets the list
 * of every reason it is hidden for; a meal is eligible only when that list is empty. Allergies
 * follow is_meal_safe_for_user (§4): an allergy covers the allergens under it at any depth,
 * `contains` hides at any severity, `may_contain` at SEVERE or LIFE_THREATENING, and a severe
 * allergy hides a meal without a complete ingredient list.
 */
export async function candidates(tx: Tx, c: CandidateQuery): Promise<Candidates> {
  const [row] = await tx<Candidates[]>`${candidateStatement(tx, c)}`;
  return row as Candidates;
}

/** The statement of `candidates`, for `explain` (npm run bench -- recommendations). */
export const candidateStatement = (tx: Tx, c: CandidateQuery) => tx`
    with recursive
    roots (key, allergen_id, strict) as (
      select 'allergy:' || ua.allergen_id, ua.allergen_id, ua.severity in ('SEVERE', 'LIFE_THREATENING')
      from public.user_allergies ua where ua.user_id = ${c.userId}
      union all
      select 'diet:' || d.id, a.id, d.excluded_allergens_strict
      from public.user_dietary_restrictions ud
      join health.dietary_restrictions_ref d on d.id = ud.restriction_id
      cross join unnest(d.excluded_allergen_ids) as a (id)
      where ud.user_id = ${c.userId}
      union all
      select 'condition:' || mc.id, a.id, mc.excluded_allergens_strict
      from public.user_medical_conditions uc
      join health.medical_conditions_ref mc on mc.id = uc.condition_id
      cross join unnest(mc.excluded_allergen_ids) as a (id)
      where uc.user_id = ${c.userId}
    ),
    -- each excluded allergen with every allergen under it, at any depth
    exclusions (key, allergen_id, strict) as (
      select key, allergen_id, strict from roots
      union
      select e.key, a.id, e.strict from exclusions e join health.allergens a on a.parent_id = e.allergen_id
    ),
    -- one row per rule the person's allergies, diets and conditions set
    rules as materialized (
      select e.key, array_agg(e.allergen_id) as contains_ids,
             coalesce(array_agg(e.allergen_id) filter (where e.strict), '{}') as trace_ids,
             '{}'::text[] as traits, false as needs_classified, null::text as certification,
             null::numeric as max_carbs, null::integer as max_sodium, null::numeric as max_protein,
             null::numeric as max_fat
      from exclusions e group by e.key
      union all
      select 'diet:' || d.id, '{}', '{}', d.excluded_traits, d.needs_classified_ingredients,
             d.required_certification, d.max_carbs_g_per_meal, null, null, null
      from public.user_dietary_restrictions ud
      join health.dietary_restrictions_ref d on d.id = ud.restriction_id
      where ud.user_id = ${c.userId}
      union all
      select 'condition:' || mc.id, '{}', '{}', '{}', false, null, mc.max_carbs_g_per_meal,
             mc.max_sodium_mg_per_meal, mc.max_protein_g_per_meal, mc.max_fat_g_per_meal
      from public.user_medical_conditions uc
      join health.medical_conditions_ref mc on mc.id = uc.condition_id
      where uc.user_id = ${c.userId}
        and (mc.max_sodium_mg_per_meal is not null or mc.max_carbs_g_per_meal is not null
             or mc.max_protein_g_per_meal is not null or mc.max_fat_g_per_meal is not null)
    ),
    strictness as (select coalesce(bool_or(strict), false) as any_strict from exclusions),
    reacted as (
      select f.meal_id from public.feedback f where f.user_id = ${c.userId} and f.reaction
    ),
    near as (
      select r.id, r.name, r.cuisine_type, r.price_range, r.is_active,
             public.distance_km(r.location, point(${c.lon}::float8, ${c.lat}::float8)) as km
      from public.restaurants r
      where r.location <@ ${box(tx, c.boxes[0])} or r.location <@ ${box(tx, c.boxes[1])}
    ),
    -- every meal within the distance, with its ingredient list as facts (public.meal_facts) and
    -- the reasons that need no rule
    base as materialized (
      select m.id, m.name, m.description, m.category, m.price::float8 as price, m.calories,
             m.protein_g::float8 as protein_g, m.carbs_g::float8 as carbs_g, m.fat_g::float8 as fat_g,
             m.fiber_g::float8 as fiber_g, m.sodium_mg, m.certifications,
             (m.ingredients_complete and coalesce(mf.ingredient_count, 0) > 0) as listed,
             coalesce(mf.unclassified, false) as unclassified,
             coalesce(mf.contains_allergen_ids, '{}') as contains_ids,
             coalesce(mf.trace_allergen_ids, '{}') as trace_ids,
             coalesce(mf.contains_traits, '{}') as traits,
             n.id as restaurant_id, n.name as restaurant_name, n.cuisine_type, n.price_range, n.km,
             array_remove(array[
               case when not m.is_available then 'unavailable' end,
               case when not n.is_active then 'restaurant_inactive' end,
               case when m.id in (select meal_id from reacted) then 'reaction' end,
               case when (select any_strict from strictness)
                     and not (m.ingredients_complete and coalesce(mf.ingredient_count, 0) > 0)
                 then 'incomplete_ingredients' end
             ], null) as reasons
      from near n
      join public.meals m on m.restaurant_id = n.id
      left join public.meal_facts mf on mf.meal_id = m.id
      where n.km <= ${c.maxKm}::float8
    ),
    -- each meal with each rule it breaks, or cannot be shown to keep
    hits as materialized (
      select b.id, r.key
      from base b join rules r on
           b.contains_ids && r.contains_ids
        or b.trace_ids && r.trace_ids
        or b.traits && r.traits
        or (r.needs_classified and not (b.listed and not b.unclassified))
        or (r.certification is not null and not (r.certification = any (b.certifications)))
        or (r.max_carbs is not null and not coalesce(b.carbs_g <= r.max_carbs, false))
        or (r.max_sodium is not null and not coalesce(b.sodium_mg <= r.max_sodium, false))
        or (r.max_protein is not null and not coalesce(b.protein_g <= r.max_protein, false))
        or (r.max_fat is not null and not coalesce(b.fat_g <= r.max_fat, false))
    ),
    shown as (
      select b.* from base b
      where cardinality(b.reasons) = 0 and b.id not in (select h.id from hits h) -- a hashed subplan
    )
    select
      (select count(*)::int from base) as considered,
      (select count(*)::int from base) - (select count(*)::int from shown) as hidden,
      coalesce((
        select jsonb_object_agg(reason, n) from (
          select reason, count(*)::int as n from base b cross join unnest(b.reasons) as reason group by reason
          union all
          select key, count(distinct id)::int from hits group by key
        ) s
      ), '{}') as left_out,
      coalesce((
        select jsonb_agg(jsonb_build_object(
          'id', c.id, 'name', c.name, 'description', c.description, 'category', c.category,
          'price', c.price, 'calories', c.calories, 'protein_g', c.protein_g, 'carbs_g', c.carbs_g,
          'fat_g', c.fat_g, 'fiber_g', c.fiber_g, 'sodium_mg', c.sodium_mg,
          'ingredients_complete', c.listed, 'restaurant_id', c.restaurant_id,
          'restaurant_name', c.restaurant_name, 'cuisine_type', c.cuisine_type, 'price_range', c.price_range,
          'km', c.km,
          'warns', array(
            select distinct x.key from exclusions x
            where x.key like 'allergy:%' and not x.strict and x.allergen_id = any (c.trace_ids)
          ),
          'tags', case when ${c.withWellnessTags}::boolean then coalesce((
            select jsonb_agg(jsonb_build_object(
              'tag', t.tag_name, 'tag_id', t.id, 'effectiveness', t.effectiveness_rating::float8,
              'confidence', ft.confidence_score::float8, 'verified', ft.verified))
            from health.food_tags ft join health.health_tags t on t.id = ft.tag_id
            where ft.food_id = c.id and t.is_active
          ), '[]') else '[]' end
        ))
        from shown c
      ), '[]') as eligible`;

/** Names for the reason keys of `candidates`: allergens, diets and conditions. */
export interface Names {
  allergies: { id: string; name: string; severity: string }[];
  diets: { id: string; name: string }[];
  conditions: { id: string; name: string; display_name: string }[];
}

export async function names(tx: Tx, userId: string): Promise<Names> {
  const [row] = await tx<Names[]>`
    select
      coalesce((select jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'severity', ua.severity) order by a.name)
                from public.user_allergies ua join health.allergens a on a.id = ua.allergen_id
                where ua.user_id = ${userId}), '[]') as allergies,
      coalesce((select jsonb_agg(jsonb_build_object('id', d.id, 'name', d.name) order by d.name)
                from public.user_dietary_restrictions ud join health.dietary_restrictions_ref d on d.id = ud.restriction_id
                where ud.user_id = ${userId}), '[]') as diets,
      coalesce((select jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'display_name', c.display_name) order by c.name)
                from public.user_medical_conditions uc join health.medical_conditions_ref c on c.id = uc.condition_id
                where uc.user_id = ${userId}), '[]') as conditions`;
  return row as Names;
}

// ---- feedback signals ------------------------------------------------------------------------

/** How long a dismissed meal rests, and a meal rated 1 or 2. */
export const restDays = { dismissed: 14, lowRating: 30 } as const;

export interface Signals {
  /** meal id -> why it rests and until when (ISO). */
  resting: Record<string, { why: 'dismissed' | 'low_rating'; until: string }>;
  /** restaurant id -> the person's average rating of its meals and how many ratings. */
  restaurants: Record<string, { average: number; ratings: number }>;
}

export async function signals(tx: Tx, userId: string): Promise<Signals> {
  const [row] = await tx<Signals[]>`
    select
      coalesce((
        select jsonb_object_agg(meal_id, jsonb_build_object('why', why, 'until', until))
        from (
          select distinct on (meal_id) meal_id, why, until from (
            select r.meal_id, 'dismissed' as why, r.responded_at + make_interval(days => ${restDays.dismissed}) as until
            from public.recommendations r
            where r.user_id = ${userId} and r.status = 'dismissed'
              and r.responded_at > now() - make_interval(days => ${restDays.dismissed})
            union all
            select f.meal_id, 'low_rating', f.created_at + make_interval(days => ${restDays.lowRating})
            from public.feedback f
            where f.user_id = ${userId} and f.meal_id is not null and f.rating <= 2
              and f.created_at > now() - make_interval(days => ${restDays.lowRating})
          ) s
          order by meal_id, until desc
        ) t
      ), '{}') as resting,
      coalesce((
        select jsonb_object_agg(restaurant_id, jsonb_build_object('average', average, 'ratings', ratings))
        from (
          select m.restaurant_id, round(avg(f.rating), 1)::float8 as average, count(*)::int as ratings
          from public.feedback f join public.meals m on m.id = f.meal_id
          where f.user_id = ${userId}
          group by m.restaurant_id
        ) t
      ), '{}') as restaurants`;
  return row as Signals;
}

// ---- mental wellness (only with consent; every read audited) -------------------------------

export async function hasMentalHealthConsent(tx: Tx, userId: string): Promise<boolean> {
  const [row] = await tx<{ ok: boolean }[]>`
    select exists (
      select 1 from public.user_consents c
      where c.user_id = ${userId} and c.consent_type = 'mental_health_tracking' and c.revoked_at is null
    ) as ok`;
  return Boolean(row?.ok);
}

export interface WellnessWeek {
  stress: number | null;
  stress_logs: number;
  mood: number | null;
  mood_logs: number;
  sleep_hours: number | null;
  sleep_quality: number | null;
  sleep_logs: number;
}

/** The person's own averages over the last 7 days, and an audit row saying they were read and why. */
export async function wellnessWeek(tx: Tx, userId: string): Promise<WellnessWeek> {
  const [row] = await tx<WellnessWeek[]>`
    with
    s as (select round(avg(stress_level), 1)::float8 as v, count(*)::int as n from health.stress_logs
          where user_id = ${userId} and logged_at > now() - interval '7 days'),
    m as (select round(avg(mood_score), 1)::float8 as v, count(*)::int as n from health.mood_logs
          where user_id = ${userId} and logged_at > now() - interval '7 days'),
    z as (select round(avg(duration_hours), 1)::float8 as h, round(avg(quality_score), 1)::float8 as q,
                 count(*)::int as n from health.sleep_logs
          where user_id = ${userId} and sleep_date > current_date - 7),
    audited as (
      insert into audit.audit_logs (user_id, event, detail, occurred_at)
      values (${userId}, 'mental_wellness_read',
              jsonb_build_object('purpose', 'recommendations', 'logs', jsonb_build_array('mood', 'stress', 'sleep'), 'days', 7),
              clock_timestamp())
    )
    select s.v as stress, s.n as stress_logs, m.v as mood, m.n as mood_logs, z.h as sleep_hours,
           z.q as sleep_quality, z.n as sleep_logs
    from s, m, z`;
  return row as WellnessWeek;
}

// ---- storing what was shown ------------------------------------------------------------------

export interface Shown {
  meal_id: string;
  restaurant_id: string;
  score: number;
  rank: number;
  reason: string | null;
  reasons: unknown[];
  warnings: unknown[];
  health_tag_id: string | null;
}

/**
 * One open recommendation per person, meal and meal time: showing the meal again (a refresh, a
 * retried request, a second phone) refreshes that row and keeps its id.
 */
export async function storeShown(
  tx: Tx,
  userId: string,
  mealTime: string,
  algorithmVersion: string,
  shown: readonly Shown[],
): Promise<Map<string, string>> {
  if (shown.length === 0) return new Map();
  const rows = await tx<{ id: string; meal_id: string }[]>`
    insert into public.recommendations as r
      (user_id, meal_id, restaurant_id, meal_time, reason, reasons, warnings, score, rank, health_tag_id,
       algorithm_version)
    select ${userId}, s.meal_id, s.restaurant_id, ${mealTime}, s.reason, s.reasons, s.warnings, s.score, s.rank,
           s.health_tag_id, ${algorithmVersion}
    from jsonb_to_recordset(${tx.json(shown as never)}) as s (
      meal_id uuid, restaurant_id uuid, reason text, reasons jsonb, warnings jsonb, score numeric, rank smallint,
      health_tag_id uuid)
    on conflict (user_id, meal_id, meal_time) where status = 'shown' do update set
      restaurant_id = excluded.restaurant_id, reason = excluded.reason, reasons = excluded.reasons,
      warnings = excluded.warnings, score = excluded.score, rank = excluded.rank,
      health_tag_id = excluded.health_tag_id, algorithm_version = excluded.algorithm_version,
      shown_at = current_timestamp
    returning r.id, r.meal_id`;
  return new Map(rows.map((r) => [r.meal_id, r.id]));
}

export interface RecommendationRow {
  id: string;
  meal_id: string;
  restaurant_id: string;
  meal_time: string | null;
  status: 'shown' | 'accepted' | 'dismissed';
  score: number | null;
  algorithm_version: string | null;
  shown_at: Date;
  responded_at: Date | null;
}

const recommendationColumns = (tx: Tx) => tx`
  id, meal_id, restaurant_id, meal_time, status, score::float8 as score, algorithm_version, shown_at, responded_at`;

export async function recommendation(tx: Tx, id: string): Promise<RecommendationRow | undefined> {
  const [row] = await tx<RecommendationRow[]>`
    select ${recommendationColumns(tx)} from public.recommendations where id = ${id}`;
  return row;
}

/** Answers the recommendation if it is still open; undefined when it is not (or not the caller's). */
export async function respond(
  tx: Tx,
  id: string,
  status: 'accepted' | 'dismissed',
): Promise<RecommendationRow | undefined> {
  const [row] = await tx<RecommendationRow[]>`
    update public.recommendations set status = ${status}, responded_at = current_timestamp
    where id = ${id} and status = 'shown'
    returning ${recommendationColumns(tx)}`;
  return row;
}

// ---- feedback --------------------------------------------------------------------------------

export async function mealExists(tx: Tx, id: string): Promise<boolean> {
  const [row] = await tx<
    { ok: boolean }[]
  >`select exists (select 1 from public.meals where id = ${id}) as ok`;
  return Boolean(row?.ok);
}

export interface FeedbackRow {
  id: string;
  recommendation_id: string | null;
  meal_id: string | null;
  rating: number;
  comment_encrypted: Buffer | null;
  comment_key_version: number | null;
  reaction: boolean;
  created_at: Date;
}

export async function insertFeedback(
  tx: Tx,
  f: {
    userId: string;
    recommendationId: string | null;
    mealId: string | null;
    rating: number;
    comment: StoredNote;
    reaction: boolean;
  },
): Promise<FeedbackRow> {
  const [row] = await tx<FeedbackRow[]>`
    insert into public.feedback
      (user_id, recommendation_id, meal_id, rating, comment_encrypted, comment_key_version, reaction)
    values (${f.userId}, ${f.recommendationId}, ${f.mealId}, ${f.rating}, ${f.comment.encrypted},
            ${f.comment.keyVersion}, ${f.reaction})
    returning id, recommendation_id, meal_id, rating, comment_encrypted, comment_key_version, reaction, created_at`;
  return row as FeedbackRow;
}

/** A reported reaction: the catalogue team reviews the meal (the flag names the feedback, not the person). */
export async function flagForReview(tx: Tx, mealId: string, feedbackId: string): Promise<void> {
  await tx`
    insert into public.meal_review_flags (meal_id, feedback_id, reason)
    values (${mealId}, ${feedbackId}, 'reaction')`;
}

// ---- geometry --------------------------------------------------------------------------------

const earthKm = 6371.0088;

/**
 * Boxes of point(longitude, latitude) that together hold every point within `km` of (lat, lon)
 * on the sphere, for the GiST index; distance_km then keeps the circle. Near a pole the box spans
 * every longitude; across the antimeridian it is two boxes (else the same box twice).
 */
export function boxesAround(lat: number, lon: number, km: number): [Box, Box] {
  const angular = km / earthKm;
  const dLat = (angular * 180) / Math.PI;
  const south = Math.max(-90, lat - dLat);
  const north = Math.min(90, lat + dLat);
  const cosLat = Math.cos((lat * Math.PI) / 180);
  if (north >= 90 || south <= -90 || Math.sin(angular) >= cosLat) {
    const all: Box = [-180, south, 180, north];
    return [all, all];
  }
  // The widest longitude a circle on the sphere reaches, plus a hair for rounding.
  const dLon = (Math.asin(Math.sin(angular) / cosLat) * 180) / Math.PI + 1e-9;
  const west = lon - dLon;
  const east = lon + dLon;
  if (west < -180)
    return [
      [west + 360, south, 180, north],
      [-180, south, east, north],
    ];
  if (east > 180)
    return [
      [west, south, 180, north],
      [-180, south, east - 360, north],
    ];
  const one: Box = [west, south, east, north];
  return [one, one];
}
