import fc from 'fast-check';
import { routeKey, type Route } from '../../functions/core/route';
import { createUser, type TestApi } from './api';
import { seedPerson, send, type Person } from './people';
import { hostileRequest, paramNames, type GeneratedRequest } from './routeInputs';

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

/** Requests per route: FUZZ_RUNS, else `fallback` (300 in `npm test`, 2,000 in `npm run fuzz`). */
export const runsPerRoute = (fallback: number) => Number(process.env.FUZZ_RUNS ?? fallback);

/**
 * Requests sent at once: the server sees concurrent hostile requests. Credential routes (the
 * `auth` throttle class) go one at a time, as their throttle allows a client: each may hash a
 * password (scrypt, 128 MiB), and several at once on a small machine would only measure its CPU.
 */
const batchOf = (route: Route) => (route.throttle === 'auth' ? 1 : 6);

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
  owner: () => Promise<Person>,
): Promise<void> {
  counts.routes += 1;
  let user: { token: string } | undefined;
  const tokenFor = async () => {
    if (route.access === 'public') return undefined;
    user ??= await createUser(api.db, { role: route.access === 'admin' ? 'admin' : 'user' });
    return user.token;
  };
  // Routes with ids in their path get some that exist: a person's own records.
  let ids: string[] = [];
  if (paramNames(route).length && route.access === 'user') {
    const person = await owner();
    user = person;
    ids = person.own.filter((id) => id !== person.id);
  }
  const withIds = (req: GeneratedRequest, pick: number) =>
    ids.length && pick % 3 === 0
      ? {
          ...req,
          target: req.target.replace(
            /^[^?]*/,
            route.path.replace(/\{[^}]+\}/g, ids[pick % ids.length] as string),
          ),
        }
      : req;

  const batch = batchOf(route);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(hostileRequest(route), fc.nat()), { minLength: batch, maxLength: batch }),
      async (requests) => {
        const token = await tokenFor();
        const answers = await Promise.all(
          requests.map(([req, pick]) => send(api, withIds(req, pick), token)),
        );
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
      ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
      // Shrinking replays HTTP requests; keep it bounded so a failure is reported promptly.
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

/** One person with records in every domain, seeded on first use and shared by the routes with ids. */
export function sharedOwner(api: TestApi): () => Promise<Person> {
  let person: Promise<Person> | undefined;
  return () => (person ??= seedPerson(api, { tries: 4 }));
}
