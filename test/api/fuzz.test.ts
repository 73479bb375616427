import { routeKey } from '../../functions/core/route';
import { useApi } from '../support';
import { fuzzRoute, newCounts, printCounts, runsPerRoute, sharedOwner } from '../support/fuzz';
import { allRoutes } from '../support/routeInputs';

/**
 * Every route of the table, fuzzed from its schemas: wrong types, huge and unicode strings (NUL,
 * lone surrogates), deep nesting, `__proto__` and duplicate keys, wrong content types, bad
 * percent-encoding. `npm run fuzz` runs the same with more requests per route.
 */
const api = useApi();
const runs = runsPerRoute(300);
const counts = newCounts();
// FUZZ_ROUTES narrows the run to the routes whose `METHOD /path` matches (e.g. `^POST /auth`).
const fuzzed = process.env.FUZZ_ROUTES
  ? allRoutes.filter((r) => new RegExp(process.env.FUZZ_ROUTES as string).test(routeKey(r)))
  : allRoutes;
const started = Date.now();
const owner = sharedOwner(api);
jest.setTimeout(15 * 60_000);

afterAll(() => printCounts('fuzz', counts, started));

describe.each(fuzzed.map((r) => [routeKey(r), r] as const))('%s', (_key, route) => {
  it(`answers ${runs} hostile requests without a 5xx, every error a problem with a code`, async () => {
    await fuzzRoute(api, route, runs, counts, owner);
  });
});

describe('after fuzzing', () => {
  it('fuzzed every route, with no 5xx', () => {
    expect(counts).toMatchObject({ routes: fuzzed.length, server5xx: 0, malformed: 0 });
    expect(counts.requests).toBeGreaterThanOrEqual(fuzzed.length * runs);
  });
});
