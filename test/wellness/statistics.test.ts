import tCdf from '@stdlib/stats-base-dists-t-cdf';
import fc from 'fast-check';
import { confidence, ranks, spearman, tWithin } from '../../functions/wellness/stats';
import { referenceP, referenceRho, shuffled } from './reference';

describe("Spearman's rho", () => {
  it('matches the published example: IQ against hours of television, rho = -29/165, p = 0.6272', () => {
    // Wikipedia, "Spearman's rank correlation coefficient", Example.
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];

    const r = spearman(iq, tv);

    expect(r.n).toBe(10);
    expect(r.rho).toBeCloseTo(-29 / 165, 12);
    expect(r.pValue).toBeCloseTo(0.627188, 5);
  });

  it.each([14, 20, 38, 90])('agrees with the reference computation on a shuffled series of %i days', (n) => {
    const x = Array.from({ length: n }, (_, i) => i * 1.5 + 3);
    const y = shuffled(n, n * 7919).map((v, i) => v + (i % 3 === 0 ? n / 2 : 0) + i * 0.01);

    const r = spearman(x, y);
    const rho = referenceRho(x, y);

    expect(r.rho).toBeCloseTo(rho, 10);
    expect(r.pValue).toBeCloseTo(referenceP(rho, n), 6);
  });

  it('gives tied values their average rank', () => {
    expect(ranks([10, 20, 20, 30, 20])).toEqual([1, 3, 3, 5, 3]);
  });

  it('is 1 with p = 0 for a perfectly monotonic series, and undefined for a constant one', () => {
    expect(spearman([1, 2, 3, 4, 5], [2, 4, 8, 16, 32])).toEqual({ n: 5, rho: 1, pValue: 0 });
    expect(spearman([1, 2, 3, 4], [5, 5, 5, 5]).rho).toBeNull();
  });

  it.each([
    [0.0005, 5],
    [0.001, 4],
    [0.009, 4],
    [0.01, 3],
    [0.049, 3],
    [0.05, 2],
    [0.19, 2],
    [0.2, 1],
    [0.9, 1],
  ])('rates a p-value of %f as confidence %i', (p, level) => {
    expect(confidence(p)).toBe(level);
  });
});

describe("Student's t on whole degrees of freedom", () => {
  it('has the closed forms of one and two degrees of freedom', () => {
    // Cauchy: P(|T| <= 1) = 1/2; two degrees of freedom: t / sqrt(2 + t^2)
    expect(tWithin(1, 1)).toBeCloseTo(0.5, 15);
    expect(tWithin(3, 2)).toBeCloseTo(3 / Math.sqrt(11), 15);
    expect(tWithin(0, 7)).toBe(0);
    expect(tWithin(Infinity, 7)).toBe(1);
  });

  it('agrees with the general t distribution of @stdlib to 1e-12 for any t and up to 2,000 degrees of freedom', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 60, noNaN: true }), fc.integer({ min: 1, max: 2000 }), (t, df) => {
        const general = 2 * tCdf(t, df) - 1;
        expect(Math.abs(tWithin(t, df) - general)).toBeLessThan(1e-12);
      }),
      { numRuns: 2000, seed: 9 },
    );
  });

  it('refuses degrees of freedom that are not whole and at least one', () => {
    expect(() => tWithin(1, 0)).toThrow(RangeError);
    expect(() => tWithin(1, 2.5)).toThrow(RangeError);
  });
});
