import { UnprocessableError } from '../core/errors';
import { addDays, endOfMonth } from './days';
import type { DayValues } from './queries';

/**
 * Goal progress (sql/README.md §6): the goal's days, from start_date to today (or end_date), cut
 * into periods of its frequency: days; 7-day weeks counted from start_date; calendar months (the
 * first and last may be partial). Each period gets the value the goal measures and whether it met
 * the target. A period still running counts once it is met: a day cannot fail before it is over.
 */

export type GoalType =
  'mood_improvement' | 'stress_reduction' | 'sleep_quality' | 'sleep_duration' | 'mindfulness_practice';

/** Which units a goal type can be measured in, and the most a target may be. */
const units: Record<GoalType, Partial<Record<string, number>>> = {
  mood_improvement: { score: 10 },
  stress_reduction: { score: 10 },
  sleep_quality: { score: 10 },
  sleep_duration: { hours: 24 },
  mindfulness_practice: { minutes: 999.99, days_per_week: 7 },
};

export function checkGoal(g: {
  goal_type: string;
  target_unit: string;
  frequency: string;
  target_value: number;
}) {
  const most = units[g.goal_type as GoalType][g.target_unit];
  const allowed = Object.keys(units[g.goal_type as GoalType]).join(' or ');
  const refuse = (message: string, path: string) => {
    throw new UnprocessableError(message, { code: 'goal_unit_mismatch', errors: [{ path, message }] });
  };
  if (most === undefined) refuse(`A ${g.goal_type} goal is measured in ${allowed}`, 'body.target_unit');
  if (g.target_unit === 'days_per_week' && g.frequency !== 'weekly')
    refuse('days_per_week needs a weekly frequency', 'body.frequency');
  if (g.target_value > (most as number))
    refuse(`At most ${String(most)} ${g.target_unit} for a ${g.goal_type} goal`, 'body.target_value');
}

const measures: Record<string, string> = {
  'mood_improvement:score': 'mean daily mood score; met at or above the target',
  'stress_reduction:score': 'mean daily stress level; met at or below the target',
  'sleep_quality:score': 'mean sleep quality score; met at or above the target',
  'sleep_duration:hours': 'mean hours of sleep a night; met at or above the target',
  'mindfulness_practice:minutes': 'minutes of mindfulness practice; met at or above the target',
  'mindfulness_practice:days_per_week': 'days with mindfulness practice; met at or above the target',
};

export function measureOf(goalType: string, unit: string): string {
  return measures[`${goalType}:${unit}`] ?? 'unknown';
}

export interface Period {
  start: string;
  end: string;
}

export function periodsOf(frequency: string, start: string, last: string): Period[] {
  const out: Period[] = [];
  for (let s = start; s <= last;) {
    const e = frequency === 'daily' ? s : frequency === 'weekly' ? addDays(s, 6) : endOfMonth(s);
    out.push({ start: s, end: e });
    s = addDays(e, 1);
  }
  return out;
}

function valueOf(
  goalType: string,
  unit: string,
  days: readonly DayValues[],
): { value: number | null; logged: number } {
  const pick = (f: (d: DayValues) => number | null) => days.map(f).filter((v): v is number => v !== null);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  switch (goalType) {
    case 'mood_improvement': {
      const xs = pick((d) => d.mood);
      return { value: mean(xs), logged: xs.length };
    }
    case 'stress_reduction': {
      const xs = pick((d) => d.stress);
      return { value: mean(xs), logged: xs.length };
    }
    case 'sleep_quality': {
      const xs = pick((d) => d.sleep_quality);
      return { value: mean(xs), logged: xs.length };
    }
    case 'sleep_duration': {
      const xs = pick((d) => d.sleep_duration);
      return { value: mean(xs), logged: xs.length };
    }
    default: {
      const xs = pick((d) => d.mindfulness_minutes);
      if (unit === 'days_per_week') return { value: xs.length, logged: xs.length };
      return { value: xs.length ? xs.reduce((a, b) => a + b, 0) : null, logged: xs.length };
    }
  }
}

export interface GoalFacts {
  id: string;
  goal_type: string;
  target_value: number;
  target_unit: string;
  frequency: string;
  start_date: string;
  end_date: string | null;
}

/** The periods shown in an answer; streaks and shares count them all. */
export const shownPeriods = 100;

export function progressOf(goal: GoalFacts, days: readonly DayValues[], today: string) {
  const last = goal.end_date !== null && goal.end_date < today ? goal.end_date : today;
  const byDay = new Map(days.map((d) => [d.day, d]));
  const periods = periodsOf(goal.frequency, goal.start_date, last).map((p) => {
    const end = goal.end_date !== null && goal.end_date < p.end ? goal.end_date : p.end;
    const inside: DayValues[] = [];
    for (let d = p.start; d <= end; d = addDays(d, 1)) {
      const v = byDay.get(d);
      if (v) inside.push(v);
    }
    const { value, logged } = valueOf(goal.goal_type, goal.target_unit, inside);
    const lowerIsBetter = goal.goal_type === 'stress_reduction';
    const met =
      value !== null &&
      logged > 0 &&
      (lowerIsBetter ? value <= goal.target_value : value >= goal.target_value);
    return {
      start: p.start,
      end,
      complete: end < today,
      value: value === null ? null : Math.round(value * 100) / 100,
      days_logged: logged,
      met,
    };
  });
  const counted = periods.filter((p) => p.complete || p.met);
  let run = 0;
  let longest = 0;
  for (const p of counted) {
    run = p.met ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  const met = counted.filter((p) => p.met).length;
  return {
    goal_id: goal.id,
    measure: measureOf(goal.goal_type, goal.target_unit),
    target_value: goal.target_value,
    target_unit: goal.target_unit,
    frequency: goal.frequency,
    periods: periods.slice(-shownPeriods),
    periods_counted: counted.length,
    periods_met: met,
    share_met: counted.length ? Math.round((met / counted.length) * 1000) / 1000 : null,
    current_streak: run,
    longest_streak: longest,
  };
}
