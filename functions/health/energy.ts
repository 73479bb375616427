/**
 * Energy estimates of a health profile: age as of today in the person's time zone, basal metabolic
 * rate by Mifflin-St Jeor (1990), total daily energy expenditure by activity factor, and the day's
 * calorie target a fitness goal implies. Pure functions: the rules are in sql/README.md §8.
 */

export type Gender = 'male' | 'female' | 'other' | 'prefer_not_to_say';
export type ActivityLevel = 'sedentary' | 'light' | 'moderate' | 'active' | 'very_active';
export type BmrEquation = 'male' | 'female' | 'average';

export const activityFactors: Readonly<Record<ActivityLevel, number>> = {
  sedentary: 1.2,
  light: 1.375,
  moderate: 1.55,
  active: 1.725,
  very_active: 1.9,
};

/** The sex term of Mifflin-St Jeor; `average` is the mean of the two, for people who choose neither. */
const sexTerm: Readonly<Record<BmrEquation, number>> = { male: 5, female: -161, average: -78 };

/** Today's calendar date (YYYY-MM-DD) in an IANA time zone. */
export { localDate } from '../core/zones';

/** Whole years between a birth date and a day, both YYYY-MM-DD; a 29 February birthday counts on 1 March. */
export function ageYears(dateOfBirth: string, today: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

export interface ProfileFacts {
  readonly height_cm: number | null;
  readonly weight_kg: number | null;
  readonly date_of_birth: string | null;
  readonly gender: Gender | null;
  readonly activity_level: ActivityLevel | null;
  readonly bmr_equation: BmrEquation | null;
}

export interface Energy {
  readonly age_years: number | null;
  readonly bmr_kcal: number | null;
  readonly tdee_kcal: number | null;
  readonly energy: {
    readonly equation: `mifflin_st_jeor_${BmrEquation}` | null;
    readonly equation_chosen_by_user: boolean;
    readonly activity_factor: number | null;
    readonly missing: Array<
      'height_cm' | 'weight_kg' | 'date_of_birth' | 'gender_or_bmr_equation' | 'activity_level'
    >;
    readonly explanation: string;
  };
  /** BMR before rounding, for the TDEE and goal arithmetic. */
  readonly bmrExact: number | null;
}

function equationOf(p: ProfileFacts): BmrEquation | null {
  if (p.bmr_equation) return p.bmr_equation;
  return p.gender === 'male' || p.gender === 'female' ? p.gender : null;
}

export function energyOf(p: ProfileFacts, today: string): Energy {
  const age = p.date_of_birth ? ageYears(p.date_of_birth, today) : null;
  const equation = equationOf(p);
  const factor = p.activity_level ? activityFactors[p.activity_level] : null;
  const missing: Energy['energy']['missing'] = [];
  if (p.height_cm === null) missing.push('height_cm');
  if (p.weight_kg === null) missing.push('weight_kg');
  if (age === null) missing.push('date_of_birth');
  if (equation === null) missing.push('gender_or_bmr_equation');
  const bmrExact =
    p.height_cm !== null && p.weight_kg !== null && age !== null && equation !== null
      ? 10 * p.weight_kg + 6.25 * p.height_cm - 5 * age + sexTerm[equation]
      : null;
  if (factor === null) missing.push('activity_level');
  const tdeeExact = bmrExact !== null && factor !== null ? bmrExact * factor : null;

  const name = equation ? (`mifflin_st_jeor_${equation}` as const) : null;
  let explanation: string;
  if (equation === null && (p.gender === 'other' || p.gender === 'prefer_not_to_say')) {
    explanation =
      'Mifflin-St Jeor has one equation for men and one for women, so no estimate is made for this gender unless you choose one: set bmr_equation to male, female or average.';
  } else if (bmrExact === null) {
    explanation = `The estimate needs ${missing.join(', ')}.`;
  } else if (tdeeExact === null) {
    explanation = `BMR by the Mifflin-St Jeor ${equation} equation; TDEE needs your activity level.`;
  } else {
    explanation = `BMR by the Mifflin-St Jeor ${equation} equation (10 x ${p.weight_kg} kg + 6.25 x ${p.height_cm} cm - 5 x ${age} years ${sexTerm[equation as BmrEquation] >= 0 ? '+' : '-'} ${Math.abs(sexTerm[equation as BmrEquation])}), TDEE = BMR x ${factor} for ${p.activity_level?.replace('_', ' ')} activity.`;
  }
  return {
    age_years: age,
    bmr_kcal: bmrExact === null ? null : Math.round(bmrExact),
    tdee_kcal: tdeeExact === null ? null : Math.round(tdeeExact),
    energy: {
      equation: name,
      equation_chosen_by_user: p.bmr_equation !== null,
      activity_factor: factor,
      missing,
      explanation,
    },
    bmrExact,
  };
}

// ---- the day's target under a fitness goal -------------------------------------------------

export type GoalType =
  'weight_loss' | 'weight_gain' | 'muscle_gain' | 'maintenance' | 'endurance' | 'general_fitness';

export interface GoalFacts {
  readonly goal_type: GoalType;
  readonly target_weight_kg: number | null;
  readonly target_calories: number | null;
  readonly target_date: string | null;
}

/** Energy in a kilogram of body weight, the usual planning figure. */
export const kcalPerKg = 7700;
/** At most about a kilogram a week either way. */
export const maxDailyChange = 1000;
/** Without a dated weight target: about half a kilogram a week to lose or gain, a lean surplus for muscle. */
export const defaultChange: Readonly<Record<GoalType, number>> = {
  weight_loss: -500,
  weight_gain: 500,
  muscle_gain: 300,
  maintenance: 0,
  endurance: 0,
  general_fitness: 0,
};

/**
 * No target below this without medical supervision (NIH: 1,200 kcal for women, 1,500 for men);
 * the higher figure where the equation is not the female one.
 */
export function calorieFloor(equation: BmrEquation | null): number {
  return equation === 'female' ? 1200 : 1500;
}

export interface CaloriePlan {
  readonly tdee_kcal: number | null;
  readonly adjustment_kcal: number | null;
  readonly daily_target_kcal: number | null;
  readonly floor_kcal: number;
  readonly floor_applied: boolean;
  readonly explanation: string;
}

const kcal = (n: number) => `${Math.round(n).toLocaleString('en-US')} kcal`;

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** What the goal asks of each day, before the floor: the change and why. */
function wantedChange(
  goal: GoalFacts,
  p: ProfileFacts,
  tdee: number,
  today: string,
): { change: number; why: string } {
  if (goal.target_calories !== null)
    return { change: goal.target_calories - tdee, why: `you set a target of ${kcal(goal.target_calories)}` };
  const direction = goal.goal_type === 'weight_loss' ? -1 : goal.goal_type === 'weight_gain' ? 1 : 0;
  if (
    direction !== 0 &&
    goal.target_weight_kg !== null &&
    goal.target_date !== null &&
    p.weight_kg !== null
  ) {
    const kg = (goal.target_weight_kg - p.weight_kg) * direction;
    const days = daysBetween(today, goal.target_date);
    if (kg <= 0)
      return {
        change: 0,
        why: `you are already at ${p.weight_kg} kg against a target of ${goal.target_weight_kg} kg`,
      };
    if (days > 0) {
      const needed = (kg * kcalPerKg) / days;
      const capped = Math.min(needed, maxDailyChange);
      return {
        change: Math.round(capped) * direction,
        why: `${kg.toFixed(1)} kg by ${goal.target_date} (${days} days) at ${kcalPerKg} kcal per kg is ${kcal(needed)} a day${needed > maxDailyChange ? `, capped at ${kcal(maxDailyChange)} (about 1 kg a week)` : ''}`,
      };
    }
  }
  const change = defaultChange[goal.goal_type];
  const why =
    change === 0
      ? `a ${goal.goal_type.replace('_', ' ')} goal keeps your intake at your TDEE`
      : `a ${goal.goal_type.replace('_', ' ')} goal ${change < 0 ? 'lowers' : 'raises'} the day by ${kcal(Math.abs(change))}${goal.goal_type === 'muscle_gain' ? ' (a lean surplus)' : ' (about 0.5 kg a week)'}`;
  return { change, why };
}

/** The day's calorie target: TDEE plus the goal's change, never below the safe floor. */
export function caloriePlanOf(goal: GoalFacts | null, p: ProfileFacts | null, today: string): CaloriePlan {
  const facts: ProfileFacts = p ?? {
    height_cm: null,
    weight_kg: null,
    date_of_birth: null,
    gender: null,
    activity_level: null,
    bmr_equation: null,
  };
  const e = energyOf(facts, today);
  const floor = calorieFloor(equationOf(facts));
  if (e.tdee_kcal === null) {
    return {
      tdee_kcal: null,
      adjustment_kcal: null,
      daily_target_kcal: null,
      floor_kcal: floor,
      floor_applied: false,
      explanation: `No daily target yet: ${e.energy.explanation}`,
    };
  }
  const tdee = e.tdee_kcal;
  if (!goal) {
    return {
      tdee_kcal: tdee,
      adjustment_kcal: 0,
      daily_target_kcal: tdee,
      floor_kcal: floor,
      floor_applied: false,
      explanation: `No active fitness goal: the day's target is your TDEE of ${kcal(tdee)}.`,
    };
  }
  const { change, why } = wantedChange(goal, facts, tdee, today);
  // A deficit stops at the floor; when TDEE itself is under the floor, there is no deficit at all.
  const lowest = Math.min(floor, tdee);
  const target = Math.max(tdee + change, lowest);
  const floorApplied = target > tdee + change;
  const explanation = floorApplied
    ? `TDEE ${kcal(tdee)}; ${why}, which would go below the safe floor of ${kcal(floor)}, so the target stays at ${kcal(target)}.`
    : `TDEE ${kcal(tdee)}; ${why}: ${kcal(target)} a day.`;
  return {
    tdee_kcal: tdee,
    adjustment_kcal: target - tdee,
    daily_target_kcal: target,
    floor_kcal: floor,
    floor_applied: floorApplied,
    explanation,
  };
}
