import { dayOfEpoch, epochDay, weekdayIndex, weekdays } from './days';
import type { DayValues } from './queries';
import { confidence, minimumPairs, spearman } from './stats';

/**
 * Insights over daily series (sql/README.md §6). A day's value is the mean of its entries (mood,
 * energy, stress), its night (sleep_date is the day of waking) or nothing. Periods end on a local
 * day: a week is 7 days, a month 30; the previous period is the same length just before.
 * Correlations need more days than a week holds, so they use the 90 days ending with the period.
 */

export type Series = 'mood' | 'energy' | 'stress' | 'sleep_duration' | 'sleep_quality';
export const seriesNames: readonly Series[] = ['mood', 'energy', 'stress', 'sleep_duration', 'sleep_quality'];

export const periodDays = { week: 7, month: 30 } as const;
export const correlationDays = 90;
/** How far back a logging streak is followed. */
export const streakDays = 366;

/** Outcome, predictor: the pairs the issue asks for. */
export const pairs: readonly (readonly [Series, Series])[] = [
  ['mood', 'sleep_duration'],
  ['mood', 'sleep_quality'],
  ['mood', 'stress'],
  ['stress', 'sleep_duration'],
];

const round = (x: number | null, digits = 2) =>
  x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/** A person's days by their number since 1970-01-01: the loops below step through integers. */
type ByDay = ReadonlyMap<number, DayValues>;

const valueOf = (byDay: ByDay, day: number, series: Series) => {
  const v = byDay.get(day)?.[series];
  return v === null || v === undefined ? null : v;
};

function valuesIn(byDay: ByDay, series: Series, from: number, to: number): { day: number; value: number }[] {
  const out: { day: number; value: number }[] = [];
  for (let d = from; d <= to; d++) {
    const value = valueOf(byDay, d, series);
    if (value !== null) out.push({ day: d, value });
  }
  return out;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Consecutive days with a value, back from `end`; a day not logged yet (`end` itself) does not break it. */
function loggingStreak(byDay: ByDay, series: Series, end: number): number {
  let day = valueOf(byDay, end, series) !== null ? end : end - 1;
  let n = 0;
  while (n < streakDays && valueOf(byDay, day, series) !== null) {
    n += 1;
    day -= 1;
  }
  return n;
}

function summarise(byDay: ByDay, series: Series, start: number, end: number, previousStart: number) {
  const now = valuesIn(byDay, series, start, end);
  const before = valuesIn(byDay, series, previousStart, start - 1);
  const avg = mean(now.map((v) => v.value));
  const prev = mean(before.map((v) => v.value));
  return {
    series,
    days: now.length,
    average: round(avg),
    min: now.length ? Math.min(...now.map((v) => v.value)) : null,
    max: now.length ? Math.max(...now.map((v) => v.value)) : null,
    previous_average: round(prev),
    change: avg === null || prev === null ? null : round(avg - prev),
    weekday_pattern: weekdays.map((w, i) => {
      const on = now.filter((v) => weekdayIndex(v.day) === i).map((v) => v.value);
      return { weekday: w, average: round(mean(on)), days: on.length };
    }),
    logging_streak: loggingStreak(byDay, series, end),
  };
}

const words: Record<Series, { subject: string; higher: string }> = {
  mood: { subject: 'mood', higher: 'your mood is higher' },
  energy: { subject: 'energy', higher: 'your energy is higher' },
  stress: { subject: 'stress', higher: 'your stress is higher' },
  sleep_duration: { subject: 'sleep duration', higher: 'you sleep longer' },
  sleep_quality: { subject: 'sleep quality', higher: 'you sleep better' },
};

const formatP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** The sentence a person reads under a correlation. */
export function sentence(
  outcome: Series,
  predictor: Series,
  lag: number,
  r: { n: number; rho: number | null; pValue: number | null },
): string {
  if (r.n < minimumPairs)
    return `Log ${minimumPairs - r.n} more days with both ${words[outcome].subject} and ${words[predictor].subject} to see whether they go together.`;
  if (r.rho === null || r.pValue === null)
    return `Your ${words[outcome].subject} or ${words[predictor].subject} did not vary over these ${r.n} days, so nothing can be said.`;
  const when =
    lag === 0 ? `On days when ${words[predictor].higher}` : `On days after ${words[predictor].higher}`;
  const direction = r.rho > 0 ? 'higher' : 'lower';
  const chance = r.pValue >= 0.05 ? ' This could well be chance.' : '';
  return `${when}, your ${words[outcome].subject} is ${direction}: rho ${r.rho.toFixed(2)}, ${r.n} days, ${formatP(r.pValue)}.${chance}`;
}

/** Paired days of two series, the predictor `lag` days before the outcome. */
function paired(byDay: ByDay, outcome: Series, predictor: Series, lag: number, from: number, to: number) {
  const x: number[] = [];
  const y: number[] = [];
  for (let d = from; d <= to; d++) {
    const o = valueOf(byDay, d, outcome);
    const p = valueOf(byDay, d - lag, predictor);
    if (o !== null && p !== null) {
      y.push(o);
      x.push(p);
    }
  }
  return { x, y };
}

function correlate(byDay: ByDay, from: number, to: number) {
  return pairs.flatMap(([outcome, predictor]) =>
    [0, 1].map((lag) => {
      const { x, y } = paired(byDay, outcome, predictor, lag, from, to);
      const r = spearman(x, y);
      const shown = r.n >= minimumPairs && r.rho !== null && r.pValue !== null;
      return {
        outcome,
        predictor,
        lag_days: lag,
        n: r.n,
        rho: shown ? round(r.rho, 3) : null,
        p_value: shown ? round(r.pValue, 4) : null,
        confidence: shown ? confidence(r.pValue as number) : null,
        sentence: sentence(outcome, predictor, lag, r),
        days_needed: Math.max(0, minimumPairs - r.n),
      };
    }),
  );
}

export function insightsOf(days: readonly DayValues[], period: 'week' | 'month', end: string) {
  const byDay: ByDay = new Map(days.map((d) => [epochDay(d.day), d]));
  const length = periodDays[period];
  const last = epochDay(end);
  const start = last - (length - 1);
  const previousStart = start - length;
  const windowStart = last - (correlationDays - 1);
  return {
    period,
    start: dayOfEpoch(start),
    end,
    previous_start: dayOfEpoch(previousStart),
    previous_end: dayOfEpoch(start - 1),
    series: seriesNames.map((s) => summarise(byDay, s, start, last, previousStart)),
    correlations_window: { start: dayOfEpoch(windowStart), end },
    correlations: correlate(byDay, windowStart, last),
  };
}
