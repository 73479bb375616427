/**
 * The ranking of the meals that passed every hard filter (queries.ts decides those). Pure
 * functions: each part of a score is a reason with a stable code and a sentence with its numbers,
 * and the score is the sum of the parts over the most they could give, 0..1. The rules are in
 * sql/README.md §9.
 */

export const algorithmVersion = 'eatsential-rank-2026.12';

export type MealTime = 'breakfast' | 'lunch' | 'dinner' | 'snack';

/** Each meal's share of the day's calorie target. */
export const mealShare: Readonly<Record<MealTime, number>> = {
  breakfast: 0.25,
  lunch: 0.35,
  dinner: 0.3,
  snack: 0.1,
};

/** The most points each part can give. */
export const weights = {
  calories: 30,
  protein: 10,
  fibre: 8,
  cuisine: 10,
  price: 6,
  distance: 12,
  wellness: 15,
  restaurant: 8,
} as const;

/** Protein and fibre that earn a meal all their points, for a meal taking 30% of the day. */
const proteinGoalG = 30;
const fibreGoalG = 8;

export interface Reason {
  readonly code: string;
  readonly sentence: string;
  readonly points: number;
  /** Reasons from mental-wellness logs: kept without the person's figures when stored. */
  readonly wellness?: { readonly tag: string; readonly stored: string };
}

export interface Meal {
  readonly id: string;
  readonly calories: number | null;
  readonly protein_g: number | null;
  readonly fiber_g: number | null;
  readonly restaurant_id: string;
  readonly restaurant_name: string;
  readonly cuisine_type: string | null;
  readonly price_range: number | null;
  readonly km: number;
  readonly tags: readonly {
    tag: string;
    tag_id: string;
    effectiveness: number | null;
    confidence: number;
    verified: boolean;
  }[];
}

/** Which states of the last 7 days call for which tag, with the sentence's figure. */
export interface WellnessNeed {
  readonly tag: '#StressRelief' | '#SleepAid' | '#MoodBoost';
  readonly because: string;
}

export interface Context {
  readonly mealTime: MealTime;
  /** The day's calorie target (TDEE adjusted by the active fitness goal), null when unknown. */
  readonly dailyTargetKcal: number | null;
  readonly cuisines: readonly string[];
  readonly priceRange: number | null;
  readonly maxKm: number;
  /** Empty without mental-health consent. */
  readonly needs: readonly WellnessNeed[];
  readonly restaurantRatings: Readonly<Record<string, { average: number; ratings: number }>>;
}

/** Averages of the last 7 days that call for a tag: stress 6+ of 10, sleep under 6.5 h or quality 4 or less, mood 4 or less. */
export function wellnessNeeds(w: {
  stress: number | null;
  mood: number | null;
  sleep_hours: number | null;
  sleep_quality: number | null;
}): WellnessNeed[] {
  const needs: WellnessNeed[] = [];
  if (w.stress !== null && w.stress >= 6)
    needs.push({ tag: '#StressRelief', because: `your stress averaged ${w.stress.toFixed(1)} this week` });
  const poorHours = w.sleep_hours !== null && w.sleep_hours < 6.5;
  const poorQuality = w.sleep_quality !== null && w.sleep_quality <= 4;
  if (poorHours || poorQuality)
    needs.push({
      tag: '#SleepAid',
      because: poorHours
        ? `you slept ${(w.sleep_hours as number).toFixed(1)} hours a night on average this week`
        : `your sleep quality averaged ${(w.sleep_quality as number).toFixed(1)} this week`,
    });
  if (w.mood !== null && w.mood <= 4)
    needs.push({ tag: '#MoodBoost', because: `your mood averaged ${w.mood.toFixed(1)} this week` });
  return needs;
}

const wellnessCodes: Readonly<Record<WellnessNeed['tag'], string>> = {
  '#StressRelief': 'wellness_stress_relief',
  '#SleepAid': 'wellness_sleep_aid',
  '#MoodBoost': 'wellness_mood_boost',
};

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const clamp01 = (n: number) => Math.min(1, Math.max(0, n));

export function mealTargetKcal(ctx: Pick<Context, 'dailyTargetKcal' | 'mealTime'>): number | null {
  return ctx.dailyTargetKcal === null ? null : Math.round(ctx.dailyTargetKcal * mealShare[ctx.mealTime]);
}

/** The reasons of one meal; their points add up to its raw score. */
export function reasonsFor(meal: Meal, ctx: Context): Reason[] {
  const reasons: Reason[] = [];
  const target = mealTargetKcal(ctx);
  if (target !== null && meal.calories !== null) {
    const off = (meal.calories - target) / target;
    const points = round(weights.calories * clamp01(1 - Math.abs(off) / 0.5));
    const sentence =
      Math.abs(off) <= 0.15
        ? `${meal.calories} kcal fits your ${target} kcal ${ctx.mealTime} target`
        : `${meal.calories} kcal is ${Math.round(Math.abs(off) * 100)}% ${off > 0 ? 'above' : 'below'} your ${target} kcal ${ctx.mealTime} target`;
    reasons.push({ code: 'calorie_fit', sentence, points });
  }
  const scale = mealShare[ctx.mealTime] / 0.3;
  if (meal.protein_g !== null && meal.protein_g > 0) {
    const goal = round(proteinGoalG * scale, 0);
    const points = round(weights.protein * clamp01(meal.protein_g / goal));
    reasons.push({
      code: 'protein',
      sentence: `${round(meal.protein_g)} g protein (${goal} g earns full marks for ${ctx.mealTime})`,
      points,
    });
  }
  if (meal.fiber_g !== null && meal.fiber_g > 0) {
    const goal = round(fibreGoalG * scale, 0);
    const points = round(weights.fibre * clamp01(meal.fiber_g / goal));
    reasons.push({
      code: 'fibre',
      sentence: `${round(meal.fiber_g)} g fibre (${goal} g earns full marks for ${ctx.mealTime})`,
      points,
    });
  }
  const cuisine = meal.cuisine_type?.toLowerCase();
  if (cuisine && ctx.cuisines.some((c) => c.toLowerCase() === cuisine))
    reasons.push({
      code: 'cuisine_preference',
      sentence: `${meal.cuisine_type} is one of your preferred cuisines`,
      points: weights.cuisine,
    });
  if (ctx.priceRange !== null && meal.price_range !== null) {
    const within = meal.price_range <= ctx.priceRange;
    reasons.push(
      within
        ? {
            code: 'price_preference',
            sentence: `price level ${meal.price_range} of 4 is within your ${ctx.priceRange}`,
            points: weights.price,
          }
        : {
            code: 'price_above_preference',
            sentence: `price level ${meal.price_range} of 4 is above your ${ctx.priceRange}`,
            points: -weights.price,
          },
    );
  }
  reasons.push({
    code: 'distance',
    sentence: `${round(meal.km)} km away (you go up to ${round(ctx.maxKm)} km)`,
    points: round(weights.distance * clamp01(1 - meal.km / ctx.maxKm)),
  });
  for (const need of ctx.needs) {
    const tag = meal.tags.find((t) => t.tag === need.tag);
    if (!tag) continue;
    const effectiveness = tag.effectiveness ?? 2.5;
    const factor = (effectiveness / 5) * tag.confidence * (tag.verified ? 1 : 0.6);
    const describe = `tagged ${tag.tag} (${tag.verified ? 'verified' : 'unverified'}, confidence ${tag.confidence.toFixed(2)}, effectiveness ${effectiveness.toFixed(1)} of 5)`;
    reasons.push({
      code: wellnessCodes[need.tag],
      sentence: `${describe}; ${need.because}`,
      points: round(weights.wellness * factor),
      wellness: { tag: tag.tag_id, stored: describe },
    });
  }
  const rated = ctx.restaurantRatings[meal.restaurant_id];
  if (rated && rated.average >= 4)
    reasons.push({
      code: 'restaurant_well_rated',
      sentence: `you rated ${meal.restaurant_name} ${rated.average.toFixed(1)} on average (${rated.ratings} rating${rated.ratings === 1 ? '' : 's'})`,
      points: round(weights.restaurant * ((rated.average - 3) / 2)),
    });
  return reasons;
}

/** The most points a meal could earn in this context. */
export function maxPoints(ctx: Context): number {
  return (
    (ctx.dailyTargetKcal === null ? 0 : weights.calories) +
    weights.protein +
    weights.fibre +
    (ctx.cuisines.length > 0 ? weights.cuisine : 0) +
    (ctx.priceRange !== null ? weights.price : 0) +
    weights.distance +
    ctx.needs.length * weights.wellness +
    weights.restaurant
  );
}

export interface Ranked<M extends Meal> {
  readonly meal: M;
  readonly score: number;
  readonly reasons: Reason[];
}

/** At most this many meals of one restaurant in a page. */
export const perRestaurant = 2;

/**
 * Scores every meal, best first (ties by meal id, so the order is stable), and takes `limit` of
 * them with at most `perRestaurant` from one restaurant.
 */
export function rank<M extends Meal>(meals: readonly M[], ctx: Context, limit: number): Ranked<M>[] {
  const most = maxPoints(ctx);
  const scored = meals.map((meal) => {
    const reasons = reasonsFor(meal, ctx);
    const raw = reasons.reduce((s, r) => s + r.points, 0);
    return { meal, reasons, score: Math.round(clamp01(raw / most) * 1000) / 1000, raw };
  });
  scored.sort((a, b) => b.raw - a.raw || (a.meal.id < b.meal.id ? -1 : a.meal.id > b.meal.id ? 1 : 0));
  const page: Ranked<M>[] = [];
  const taken = new Map<string, number>();
  for (const s of scored) {
    if (page.length >= limit) break;
    const n = taken.get(s.meal.restaurant_id) ?? 0;
    if (n >= perRestaurant) continue;
    taken.set(s.meal.restaurant_id, n + 1);
    page.push({ meal: s.meal, score: s.score, reasons: s.reasons.sort((a, b) => b.points - a.points) });
  }
  return page;
}
