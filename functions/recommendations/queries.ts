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

/**
 * The hard filters, in one set-based statement (sql/README.md §7), run by the PL/pgSQL function
 * `public.recommendation_candidates` so that its plan is kept for the connection instead of made
 * again on every request (migration 20261204100000). The person's allergies, diets and conditions
 * become rule rows once (allergens expanded to every allergen under them, as bitmasks of
 * `health.allergens.bit`), and their union one row of person facts. Nearby meals come from the
 * GiST index on `public.meal_facts.location` (the boxes), then the great-circle distance; each is
 * decided against the person facts with a few integer operations. Only the meals hidden by some
 * rule are counted rule by rule, grouped by what the rules read of them; only the nearest
 * `candidateLimit` eligible meals are joined to their meal and restaurant. Allergies follow
 * is_meal_safe_for_user (§4): an allergy covers the allergens under it at any depth, `contains`
 * hides at any severity, `may_contain` at SEVERE or LIFE_THREATENING, and a severe allergy hides
 * a meal without a complete ingredient list.
 */
export async function candidates(tx: Tx, c: CandidateQuery): Promise<Candidates> {
  const [row] = await tx<{ c: Candidates }[]>`${candidateStatement(tx, c)}`;
  return row!.c;
}

/**
 * At most this many eligible meals, the nearest, reach the ranking: a page holds at most 50 and
 * two a restaurant, and a person with few restrictions in a city has thousands within reach,
 * whose names, nutrients and tags would all be read and ranked for one page. The counts of what
 * was considered and left out still cover every meal within the distance.
 */
export const candidateLimit = 300;

const box = (tx: Tx, b: Box) =>
  tx`box(point(${b[0]}::float8, ${b[1]}::float8), point(${b[2]}::float8, ${b[3]}::float8))`;

/** The statement of `candidates` (npm run bench -- recommendations explains what it runs). */
export const candidateStatement = (tx: Tx, c: CandidateQuery) => {
  const [a, b] = c.boxes;
  // The second box only when the circle crosses the antimeridian: its index scan is then skipped.
  const other = a.every((v, i) => v === b[i]) ? tx`null::box` : box(tx, b);
  return tx`
    select public.recommendation_candidates(${c.userId}::uuid, ${c.lon}::float8, ${c.lat}::float8,
      ${box(tx, a)}, ${other}, ${c.maxKm}::float8, ${c.withWellnessTags}::boolean, ${candidateLimit}::integer) as c`;
};

/** Names for the reason keys of `candidates`: allergens, diets and conditions. */
export interface Names {
  allergies: { id: string; name: string; severity: string }[];
  diets: { id: string; name: string }[];
  conditions: { id: string; name: string; display_name: string }[];
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

/**
 * What the ranking and the words need to know of the person, in one call: the names of their
 * allergies, diets and conditions, whether they consent to mental-health tracking, the meals
 * resting after a dismissal or a low rating, and their ratings of restaurants.
 */
export async function personFacts(
  tx: Tx,
  userId: string,
): Promise<{ names: Names; consent: boolean; signals: Signals }> {
  // public.recommendation_person_facts (migration 20261204100000): a function, so its plan is kept.
  const [row] = await tx<{ f: Names & Signals & { consent: boolean } }[]>`
    select public.recommendation_person_facts(${userId}::uuid, ${restDays.dismissed}::integer, ${restDays.lowRating}::integer) as f`;
  const r = row!.f;
  return {
    names: { allergies: r.allergies, diets: r.diets, conditions: r.conditions },
    consent: Boolean(r.consent),
    signals: { resting: r.resting, restaurants: r.restaurants },
  };
}

// ---- mental wellness (only with consent; every read audited) -------------------------------

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
