import type { Tx } from '../core/db';
import { ConflictError, NotFoundError, UnprocessableError } from '../core/errors';
import { openNote, sealNote, type NoteContext } from '../core/notes';
import type { Operations } from '../core/operation';
import { localHour } from '../core/zones';
import { caloriePlanOf, localDate, type GoalFacts } from '../health/energy';
import * as health from '../health/queries';
import * as q from './queries';
import * as r from './ranking';

/** Without a saved maximum distance, recommendations look this far. */
export const defaultMaxKm = 10;

const unknown = (code: string, field: string, detail: string) =>
  new UnprocessableError(detail, { code, errors: [{ path: field, message: detail }] });

/** The meal of the hour in the person's time zone. */
export function mealOfHour(timeZone: string, now: Date = new Date()): r.MealTime {
  const hour = localHour(timeZone, now);
  if (hour >= 5 && hour < 11) return 'breakfast';
  if (hour >= 11 && hour < 16) return 'lunch';
  if (hour >= 17 && hour < 22) return 'dinner';
  return 'snack';
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const dietName = (name: string) => name.replace(/_/g, '-');

type LeftOut = {
  code:
    | 'allergy'
    | 'incomplete_ingredients'
    | 'dietary_restriction'
    | 'medical_condition'
    | 'unavailable'
    | 'restaurant_inactive'
    | 'reaction'
    | 'resting';
  subject: string | null;
  count: number;
  sentence: string;
};

/** The hidden counts by reason key, in words. */
function leftOutReasons(counts: Record<string, number>, names: q.Names, resting: number): LeftOut[] {
  const out: LeftOut[] = [];
  const meals = (n: number) => plural(n, 'nearby meal', 'nearby meals');
  for (const [key, count] of Object.entries(counts)) {
    const [kind, id] = key.split(':') as [string, string | undefined];
    if (kind === 'allergy') {
      const a = names.allergies.find((x) => x.id === id);
      const subject = a?.name ?? 'an allergen';
      out.push({
        code: 'allergy',
        subject,
        count,
        sentence: `${meals(count)} hidden for your ${subject.toLowerCase()} allergy`,
      });
    } else if (kind === 'diet') {
      const subject = dietName(names.diets.find((x) => x.id === id)?.name ?? 'dietary restriction');
      out.push({
        code: 'dietary_restriction',
        subject,
        count,
        sentence: `${meals(count)} hidden: not known to be ${subject}`,
      });
    } else if (kind === 'condition') {
      const subject = names.conditions.find((x) => x.id === id)?.display_name ?? 'a medical condition';
      out.push({
        code: 'medical_condition',
        subject,
        count,
        sentence: `${meals(count)} hidden for your ${lowerFirst(subject)} (over its limits per meal, or the figure is unknown)`,
      });
    } else if (kind === 'incomplete_ingredients') {
      out.push({
        code: 'incomplete_ingredients',
        subject: null,
        count,
        sentence: `${meals(count)} hidden because their ingredient lists are incomplete, which a severe allergy or a strict diet needs`,
      });
    } else if (kind === 'unavailable') {
      out.push({ code: 'unavailable', subject: null, count, sentence: `${meals(count)} not available now` });
    } else if (kind === 'restaurant_inactive') {
      out.push({
        code: 'restaurant_inactive',
        subject: null,
        count,
        sentence: `${meals(count)} at restaurants that no longer take orders`,
      });
    } else if (kind === 'reaction') {
      out.push({
        code: 'reaction',
        subject: null,
        count,
        sentence: `${plural(count, 'meal', 'meals')} you reported a reaction to, never shown again`,
      });
    }
  }
  if (resting > 0)
    out.push({
      code: 'resting',
      subject: null,
      count: resting,
      sentence: `${plural(resting, 'meal', 'meals')} you dismissed or rated low, resting for a while`,
    });
  return out.sort((a, b) => b.count - a.count || a.sentence.localeCompare(b.sentence));
}

const severityWord: Record<string, string> = { MILD: 'mildly', MODERATE: 'moderately' };

function warningsOf(meal: q.EligibleMeal, names: q.Names) {
  const warnings: {
    code: 'may_contain_allergen' | 'ingredients_incomplete';
    sentence: string;
    allergen: string | null;
  }[] = [];
  for (const key of meal.warns ?? []) {
    const a = names.allergies.find((x) => `allergy:${x.id}` === key);
    if (!a) continue;
    warnings.push({
      code: 'may_contain_allergen',
      allergen: a.name,
      sentence: `may contain ${a.name.toLowerCase()}: you are ${severityWord[a.severity] ?? 'mildly'} allergic`,
    });
  }
  if (names.allergies.length > 0 && !meal.ingredients_complete)
    warnings.push({
      code: 'ingredients_incomplete',
      allergen: null,
      sentence: 'the restaurant has not declared its full ingredient list: ask about your allergies',
    });
  return warnings;
}

async function answer(tx: Tx, id: string, status: 'accepted' | 'dismissed') {
  const row = (await q.respond(tx, id, status)) ?? (await q.recommendation(tx, id));
  if (!row) throw new NotFoundError('No such recommendation of yours', { code: 'recommendation_not_found' });
  if (row.status !== status)
    throw new ConflictError(`This recommendation was already ${row.status}`, {
      code: 'recommendation_already_answered',
    });
  return {
    id: row.id,
    meal_id: row.meal_id,
    restaurant_id: row.restaurant_id,
    meal: row.meal_time,
    status: row.status,
    score: row.score,
    algorithm_version: row.algorithm_version,
    shown_at: row.shown_at.toISOString(),
    responded_at: row.responded_at?.toISOString() ?? null,
  };
}

const commentContext = (userId: string): NoteContext => ({
  table: 'public.feedback',
  column: 'comment_encrypted',
  userId,
});

export const operations: Operations<'recommendations'> = {
  async listRecommendations({ tx, caller, query }) {
    const userId = caller.userId;
    const [{ timeZone, profile }, goals, prefs, { names, consent, signals }] = await Promise.all([
      health.profile(tx, userId),
      health.fitnessGoals(tx),
      health.preferences(tx),
      q.personFacts(tx, userId),
    ]);
    const mealTime = query.meal ?? mealOfHour(timeZone);
    const maxKm = prefs?.max_distance_km ?? defaultMaxKm;
    const { lat, lon } = query.near;
    const [found, week] = await Promise.all([
      q.candidates(tx, {
        userId,
        lat,
        lon,
        boxes: q.boxesAround(lat, lon, maxKm),
        maxKm,
        withWellnessTags: consent,
      }),
      // Mental-wellness logs are read only with consent, and the read is audited.
      consent ? q.wellnessWeek(tx, userId) : Promise.resolve(null),
    ]);

    const active: GoalFacts | null = goals.find((g) => g.status === 'ACTIVE') ?? null;
    const plan = caloriePlanOf(active, profile, localDate(timeZone));
    const ctx: r.Context = {
      mealTime,
      dailyTargetKcal: plan.daily_target_kcal,
      cuisines: prefs?.cuisines ?? [],
      priceRange: prefs?.price_range ?? null,
      maxKm,
      needs: week ? r.wellnessNeeds(week) : [],
      restaurantRatings: signals.restaurants,
    };
    const fresh = found.eligible.filter((m) => !signals.resting[m.id]);
    const page = r.rank(fresh, ctx, query.limit);

    const shown: q.Shown[] = page.map((p, i) => {
      const tagged = p.reasons.find((x) => x.wellness);
      return {
        meal_id: p.meal.id,
        restaurant_id: p.meal.restaurant_id,
        score: p.score,
        rank: i + 1,
        reason: p.reasons.find((x) => !x.wellness)?.sentence.slice(0, 500) ?? null,
        // Stored without the person's mental-wellness figures: the meal's tag only.
        reasons: p.reasons.map((x) => ({
          code: x.code,
          sentence: x.wellness ? x.wellness.stored : x.sentence,
          points: x.points,
        })),
        warnings: warningsOf(p.meal, names),
        health_tag_id: tagged?.wellness?.tag ?? null,
      };
    });
    const ids = await q.storeShown(tx, userId, mealTime, r.algorithmVersion, shown);
    const target = r.mealTargetKcal(ctx);

    return {
      meal: mealTime,
      near: { lat, lon },
      max_distance_km: maxKm,
      calorie_target:
        target === null || plan.daily_target_kcal === null
          ? null
          : { daily_kcal: plan.daily_target_kcal, meal_kcal: target, share: r.mealShare[mealTime] },
      mental_wellness_considered: ctx.needs.length > 0,
      algorithm_version: r.algorithmVersion,
      items: page.map((p, i) => ({
        id: ids.get(p.meal.id) as string,
        rank: i + 1,
        score: p.score,
        meal: {
          id: p.meal.id,
          name: p.meal.name,
          description: p.meal.description,
          category: p.meal.category,
          price: p.meal.price,
          calories: p.meal.calories,
          protein_g: p.meal.protein_g,
          carbs_g: p.meal.carbs_g,
          fat_g: p.meal.fat_g,
          fiber_g: p.meal.fiber_g,
          sodium_mg: p.meal.sodium_mg,
          ingredients_complete: p.meal.ingredients_complete,
        },
        restaurant: {
          id: p.meal.restaurant_id,
          name: p.meal.restaurant_name,
          cuisine_type: p.meal.cuisine_type,
          price_range: p.meal.price_range,
          distance_km: Math.round(p.meal.km * 100) / 100,
        },
        reasons: p.reasons.map((x) => ({ code: x.code, sentence: x.sentence, points: x.points })),
        warnings: shown[i]?.warnings as ReturnType<typeof warningsOf>,
      })),
      left_out: {
        considered: found.considered,
        hidden: found.hidden,
        resting: found.eligible.length - fresh.length,
        reasons: leftOutReasons(found.left_out, names, found.eligible.length - fresh.length),
      },
    };
  },

  async acceptRecommendation({ tx, params }) {
    return answer(tx, params.id, 'accepted');
  },
  async dismissRecommendation({ tx, params }) {
    return answer(tx, params.id, 'dismissed');
  },

  async giveFeedback({ tx, caller, body }) {
    const userId = caller.userId;
    let mealId = body.meal_id ?? null;
    if (body.recommendation_id !== undefined) {
      const rec = await q.recommendation(tx, body.recommendation_id);
      if (!rec)
        throw unknown('unknown_recommendation', 'body.recommendation_id', 'No such recommendation of yours');
      if (mealId !== null && mealId !== rec.meal_id)
        throw unknown(
          'recommendation_meal_mismatch',
          'body.meal_id',
          'The recommendation is of another meal; name one or the other',
        );
      mealId = rec.meal_id;
    } else if (mealId === null || !(await q.mealExists(tx, mealId))) {
      throw unknown('unknown_meal', 'body.meal_id', 'No such meal');
    }
    const comment = await sealNote(body.comment, commentContext(userId));
    const row = await q.insertFeedback(tx, {
      userId,
      recommendationId: body.recommendation_id ?? null,
      mealId,
      rating: body.rating,
      comment,
      reaction: body.reaction,
    });
    if (body.reaction && mealId !== null) await q.flagForReview(tx, mealId, row.id);
    return {
      id: row.id,
      recommendation_id: row.recommendation_id,
      meal_id: row.meal_id,
      rating: row.rating,
      comment: await openNote(
        { encrypted: row.comment_encrypted, keyVersion: row.comment_key_version },
        commentContext(userId),
      ),
      reaction: row.reaction,
      created_at: row.created_at.toISOString(),
    };
  },
};
