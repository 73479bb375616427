import type { Tx } from '../core/db';
import type { Safety } from './schemas';

type Severity = 'MILD' | 'MODERATE' | 'SEVERE' | 'LIFE_THREATENING';

interface Match {
  readonly ingredient: string;
  readonly presence: 'contains' | 'may_contain';
  readonly allergen: string;
  readonly severity: Severity;
}

export interface SafetyFacts {
  readonly meal_id: string;
  readonly complete: boolean;
  readonly has_ingredients: boolean;
  readonly matches: Match[];
  readonly severe: { allergen: string; severity: Severity }[];
}

const severe = (s: Severity) => s === 'SEVERE' || s === 'LIFE_THREATENING';

const youAre: Record<Severity, string> = {
  MILD: 'you are mildly allergic',
  MODERATE: 'you are moderately allergic',
  SEVERE: 'you are severely allergic',
  LIFE_THREATENING: 'your allergy is life-threatening',
};

/**
 * The facts `is_meal_safe_for_user` decides on, for many meals in one statement: every ingredient
 * carrying one of the caller's allergens (its own or a group above it, at any depth), with its
 * presence and the allergy's severity; whether the ingredient list is complete and not empty; and
 * the caller's severe allergies. Row-level security confines user_allergies to the caller.
 */
export async function safetyFacts(tx: Tx, userId: string, mealIds: readonly string[]) {
  if (mealIds.length === 0) return new Map<string, SafetyFacts>();
  const ids = [...mealIds];
  const rows = await tx<SafetyFacts[]>`
    with recursive
    mine as (
        select ua.allergen_id, ua.severity, a.name
        from public.user_allergies ua
        join health.allergens a on a.id = ua.allergen_id
        where ua.user_id = ${userId}
    ),
    links as (
        select mi.meal_id, mi.presence, i.name as ingredient, i.allergen_id
        from public.meal_ingredients mi
        join public.ingredients i on i.id = mi.ingredient_id
        where mi.meal_id = any(${ids}::uuid[]) and i.allergen_id is not null
          and exists (select 1 from mine)
    ),
    lineage (allergen_id, ancestor_id) as (
        select distinct l.allergen_id, l.allergen_id from links l
      union
        select g.allergen_id, a.parent_id
        from lineage g
        join health.allergens a on a.id = g.ancestor_id
        where a.parent_id is not null
    )
    select m.id as meal_id,
           m.ingredients_complete as complete,
           exists (select 1 from public.meal_ingredients x where x.meal_id = m.id) as has_ingredients,
           coalesce((
               select json_agg(json_build_object(
                          'ingredient', l.ingredient, 'presence', l.presence,
                          'allergen', mine.name, 'severity', mine.severity)
                      order by l.ingredient, mine.name)
               from links l
               join lineage g on g.allergen_id = l.allergen_id
               join mine on mine.allergen_id = g.ancestor_id
               where l.meal_id = m.id
           ), '[]'::json) as matches,
           coalesce((
               select json_agg(json_build_object('allergen', mine.name, 'severity', mine.severity) order by mine.name)
               from mine
               where mine.severity in ('SEVERE', 'LIFE_THREATENING')
           ), '[]'::json) as severe
    from public.meals m
    where m.id = any(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.meal_id, r]));
}

/**
 * The caller's verdict on a meal, by the rules of `is_meal_safe_for_user` (sql/README.md §4), with
 * a reason for each rule that fired: `safe` is exactly what the function answers; `caution` is a
 * safe meal that may contain an allergen the caller has mildly or moderately.
 */
export function verdict(facts: SafetyFacts | undefined): Safety {
  if (!facts) return { safe: false, level: 'unsafe', reasons: [] };
  const reasons: Safety['reasons'] = [];
  let safe = true;
  for (const m of facts.matches) {
    const allergen = m.allergen.toLowerCase();
    const contains = m.presence === 'contains';
    if (contains || severe(m.severity)) safe = false;
    reasons.push({
      code: contains ? 'contains_allergen' : 'may_contain_allergen',
      allergen: m.allergen,
      severity: m.severity,
      ingredient: m.ingredient,
      message: `${contains ? 'contains' : 'may contain'} ${allergen} (${m.ingredient}): ${youAre[m.severity]}`,
    });
  }
  if (!(facts.complete && facts.has_ingredients)) {
    for (const a of facts.severe) {
      safe = false;
      const what = facts.has_ingredients
        ? 'the ingredient list is not complete'
        : 'no ingredients are listed';
      reasons.push({
        code: facts.has_ingredients ? 'ingredients_incomplete' : 'no_ingredients',
        allergen: a.allergen,
        severity: a.severity,
        ingredient: null,
        message: `${what}: ${youAre[a.severity]}${a.severity === 'LIFE_THREATENING' ? ':' : ' to'} ${a.allergen.toLowerCase()}`,
      });
    }
  }
  return { safe, level: !safe ? 'unsafe' : reasons.length > 0 ? 'caution' : 'safe', reasons };
}

/** Verdicts for many meals at once (lists, search hits): one statement, whatever the count. */
export async function safetyOf(tx: Tx, userId: string, mealIds: readonly string[]) {
  const facts = await safetyFacts(tx, userId, mealIds);
  return (mealId: string) => verdict(facts.get(mealId));
}
