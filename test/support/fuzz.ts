import fc from 'fast-check';
import { routeKey, type Route } from '../../functions/core/route';
import { createUser, type TestApi } from './api';
import { seedPerson, seedWorld, send, type Person, type World } from './people';
import { allRoutes, hostileRequest, paramNames, type ValidOptions } from './routeInputs';

export interface FuzzCounts {
  routes: number;
  requests: number;
  server5xx: number;
  /** Errors that were not application/problem+json with a code. */
  malformed: number;
  byStatus: Record<number, number>;
}

export const newCounts = (): FuzzCounts => ({
  routes: 0,
  requests: 0,
  server5xx: 0,
  malformed: 0,
  byStatus: {},
});

/** Requests sent at once to a route (FUZZ_BATCH); the API gets `fuzzBatch / 2` database connections. */
export const fuzzBatch = Number(process.env.FUZZ_BATCH ?? 12);

/** Requests per route: FUZZ_RUNS, else `fallback` (300 in `npm test`, 2,000 in `npm run fuzz`). */
export const runsPerRoute = (fallback: number) => Number(process.env.FUZZ_RUNS ?? fallback);

/**
 * Requests sent at once: the server sees concurrent hostile requests. Credential routes (the
 * `auth` throttle class) go one at a time, as their throttle allows a client: each may hash a
 * password (scrypt, 128 MiB), and several at once on a small machine would only measure its CPU.
 */
const batchOf = (route: Route) => (route.throttle === 'auth' ? 1 : fuzzBatch);

/**
 * The seed of the generated requests. `npm test` uses a fixed one, so a failure there is a change
 * of the code, not of luck, and replays as it was; `npm run fuzz` draws a new one each run
 * (`FUZZ_SEED=random`) to look for what the fixed seed does not reach, and a failure prints its
 * seed (`FUZZ_SEED=<seed>` replays it). What it finds is fixed with a test of its own.
 */
const seedOf = (value = '20261202'): number | undefined => (value === 'random' ? undefined : Number(value));

/**
 * Sends `runs` hostile requests generated from the route's schemas (fast-check; a failure shrinks
 * to the smallest batch that fails and prints its seed): never a 5xx, every error a problem with
 * a code. Signed-in routes go as a live user (a new one when a request ended the session).
 */
export async function fuzzRoute(
  api: TestApi,
  route: Route,
  runs: number,
  counts: FuzzCounts,
  shared: () => Promise<Shared>,
): Promise<void> {
  counts.routes += 1;
  let user: { token: string } | undefined;
  const tokenFor = async () => {
    if (route.access === 'public') return undefined;
    user ??= await createUser(api.db, { role: route.access === 'admin' ? 'admin' : 'user' });
    return user.token;
  };
  // Valid parts name records that exist: the owner's own (as the owner) or the catalogue's.
  let o: ValidOptions = {};
  if (route.access !== 'public' && (paramNames(route).length || route.schemas.body || route.schemas.query)) {
    const { world, owner } = await shared();
    const pool = route.access === 'user' ? owner.pool : world.pool;
    o = { idsFor: pool.idsFor, codesFor: pool.codesFor };
    if (route.access === 'user' && paramNames(route).length) user = owner;
  }

  const batch = batchOf(route);
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostileRequest(route, o), { minLength: batch, maxLength: batch }),
      async (requests) => {
        const token = await tokenFor();
        const answers = await Promise.all(requests.map((req) => send(api, req, token)));
        for (const r of answers) {
          counts.requests += 1;
          counts.byStatus[r.status] = (counts.byStatus[r.status] ?? 0) + 1;
          if (r.status >= 500) counts.server5xx += 1;
          const problem =
            r.status < 400 ||
            (r.headers.get('content-type') === 'application/problem+json' &&
              typeof r.body?.code === 'string' &&
              r.body.code.length > 0 &&
              r.body.status === r.status);
          if (!problem) counts.malformed += 1;
          if (r.status === 401 && token) user = undefined;
          expect([routeKey(route), r.status < 500, problem, r.status < 500 ? '' : r.body]).toEqual([
            routeKey(route),
            true,
            true,
            '',
          ]);
        }
      },
    ),
    {
      numRuns: Math.ceil(runs / batch),
      seed: seedOf(process.env.FUZZ_SEED),
      // A failing batch is reported as found: shrinking replays requests whose outcome may hang on
      // timing (concurrent requests), which takes minutes and often shrinks nothing. FUZZ_SHRINK=1
      // shrinks, bounded so that a failure is still reported.
      endOnFailure: process.env.FUZZ_SHRINK !== '1',
      interruptAfterTimeLimit: 10 * 60_000,
      markInterruptAsFailure: true,
    },
  );
}

export function printCounts(name: string, counts: FuzzCounts, started: number): void {
  const statuses = Object.entries(counts.byStatus)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  process.stdout.write(
    `${name}: ${counts.routes} routes, ${counts.requests} requests, ${counts.server5xx} 5xx, ` +
      `${counts.malformed} non-problem errors in ${Math.round((Date.now() - started) / 1000)} s (${statuses})\n`,
  );
}

export interface Shared {
  readonly world: World;
  /** One person with records in every domain, whose ids the routes with path parameters get. */
  readonly owner: Person;
}

/** The world and its owner, seeded on first use and shared by the routes. */
export function sharedOwner(api: TestApi): () => Promise<Shared> {
  let shared: Promise<Shared> | undefined;
  return () =>
    (shared ??= seedWorld(api).then(async (world) => ({
      world,
      owner: await seedPerson(api, world, { tries: 4 }),
    })));
}

/**
 * Registers the fuzz suite in the calling file: every route of the table (FUZZ_ROUTES, a regex on
 * `METHOD /path`, narrows it), `runs` hostile requests each, then the totals; prints its counts
 * as `label`.
 */
export function fuzzSuite(api: TestApi, runs: number, label = 'fuzz'): void {
  const counts = newCounts();
  const fuzzed = process.env.FUZZ_ROUTES
    ? allRoutes.filter((r) => new RegExp(process.env.FUZZ_ROUTES as string).test(routeKey(r)))
    : allRoutes;
  const started = Date.now();
  const shared = sharedOwner(api);
  jest.setTimeout(15 * 60_000);

  afterAll(() => printCounts(label, counts, started));

  describe.each(fuzzed.map((r) => [routeKey(r), r] as const))('%s', (_key, route) => {
    it(`answers ${runs} hostile requests without a 5xx, every error a problem with a code`, async () => {
      await fuzzRoute(api, route, runs, counts, shared);
    });
  });

  describe('after fuzzing', () => {
    it('fuzzed every route, with no 5xx', () => {
      expect(counts).toMatchObject({ routes: fuzzed.length, server5xx: 0, malformed: 0 });
      expect(counts.requests).toBeGreaterThanOrEqual(fuzzed.length * runs);
    });
  });
}
