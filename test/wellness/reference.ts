/**
 * References computed another way than functions/wellness/stats.ts: rho by the sum of squared rank
 * differences (exact without ties), and the p-value by integrating Student's t density numerically.
 */
export function referenceRho(x: readonly number[], y: readonly number[]): number {
  const rank = (xs: readonly number[]) => xs.map((v) => xs.filter((w) => w < v).length + 1);
  const rx = rank(x);
  const ry = rank(y);
  const n = x.length;
  const d2 = rx.reduce((sum, r, i) => sum + (r - (ry[i] as number)) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

function logGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9)
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const x = z - 1;
  let a = c[0] as number;
  const t = x + 7.5;
  for (let i = 1; i < 9; i += 1) a += (c[i] as number) / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Two-sided p of |t| on df degrees of freedom: 1 - 2 * integral of the density from 0 to |t| (Simpson). */
export function referenceP(rho: number, n: number): number {
  const df = n - 2;
  const t = Math.abs(rho) * Math.sqrt(df / (1 - rho * rho));
  const k = Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2)) / Math.sqrt(df * Math.PI);
  const density = (u: number) => k * (1 + (u * u) / df) ** (-(df + 1) / 2);
  const steps = 20000;
  const h = t / steps;
  let sum = density(0) + density(t);
  for (let i = 1; i < steps; i += 1) sum += density(i * h) * (i % 2 === 1 ? 4 : 2);
  return 1 - 2 * ((sum * h) / 3);
}

/** A deterministic shuffle (linear congruential generator), so the cases are the same every run. */
export function shuffled(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i + 1);
  let s = seed;
  for (let i = n - 1; i > 0; i -= 1) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}
