/**
 * Spearman's rank correlation: Pearson's r of the ranks, ties given their average rank, with the
 * two-sided p-value of t = rho * sqrt((n - 2) / (1 - rho^2)) on n - 2 degrees of freedom
 * (the usual large-sample test; sql/README.md §6 says when a correlation is shown).
 */

export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j += 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k += 1) out[(order[k] as readonly [number, number])[1]] = rank;
    i = j + 1;
  }
  return out;
}

export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null; // a constant series correlates with nothing
  return sxy / Math.sqrt(sxx * syy);
}

export interface Spearman {
  readonly n: number;
  readonly rho: number | null;
  readonly pValue: number | null;
}

export function spearman(x: readonly number[], y: readonly number[]): Spearman {
  const n = x.length;
  if (n < 3) return { n, rho: null, pValue: null };
  const rho = pearson(ranks(x), ranks(y));
  if (rho === null) return { n, rho: null, pValue: null };
  if (Math.abs(rho) >= 1) return { n, rho: Math.sign(rho), pValue: 0 };
  const t = rho * Math.sqrt((n - 2) / (1 - rho * rho));
  return { n, rho, pValue: Math.min(1, Math.max(0, 1 - tWithin(Math.abs(t), n - 2))) };
}

/**
 * P(|T| <= t) for Student's t on a whole number of degrees of freedom, by the finite series of
 * Abramowitz and Stegun 26.7.3 (odd) and 26.7.4 (even), with theta = atan(t / sqrt(df)): exact
 * up to rounding, no iteration to converge, and about df / 2 terms. A correlation's degrees of
 * freedom (pairs - 2) are always whole; this replaces a general t distribution library that made
 * a fifth of the wellness Lambda's bundle (test/wellness/statistics.test.ts checks it against it).
 */
export function tWithin(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError('degrees of freedom must be a whole number >= 1');
  if (t === Infinity) return 1;
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 0) {
    // sin(theta) * (1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ... up to cos^(df-2))
    let term = 1;
    let sum = 1;
    for (let k = 1; k <= df / 2 - 1; k += 1) {
      term *= (c2 * (2 * k - 1)) / (2 * k);
      sum += term;
    }
    return s * sum;
  }
  // 2/pi * (theta + sin(theta) * (cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ... up to cos^(df-2)))
  if (df === 1) return (2 * theta) / Math.PI;
  let term = Math.cos(theta);
  let sum = term;
  for (let k = 1; k <= (df - 3) / 2; k += 1) {
    term *= (c2 * 2 * k) / (2 * k + 1);
    sum += term;
  }
  return (2 / Math.PI) * (theta + s * sum);
}

/** Fewer paired days than this and no correlation is shown. */
export const minimumPairs = 14;

/** 1 (weak evidence) to 5 (strong), from the p-value alone. */
export function confidence(pValue: number): number {
  if (pValue < 0.001) return 5;
  if (pValue < 0.01) return 4;
  if (pValue < 0.05) return 3;
  if (pValue < 0.2) return 2;
  return 1;
}
