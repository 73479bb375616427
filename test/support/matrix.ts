import { routeKey, type Route } from '../../functions/core/route';
import { createUser, type ApiResponse, type TestApi } from './api';
import {
  adminClaim,
  badTokens,
  leaksOf,
  prepare,
  seedPerson,
  seedWorld,
  send,
  type Person,
  type World,
} from './people';
import {
  allRoutes,
  jsonSchemaOf,
  paramHint,
  paramNames,
  sampleValid,
  type GeneratedRequest,
} from './routeInputs';

/**
 * The authorization matrix, walked from the route table: every route, asked without a token, with
 * each kind of bad token, for a revoked session and a deleted account, by a user on an admin
 * route, and by person B with person A's ids, answers what it must, and no answer to B shows
 * anything of A (A's marker is written into every free string A sent).
 *
 * Registers its hooks and tests in the calling file, on `api`; prints its counts as `label`.
 */
export function walkMatrix(api: TestApi, label = 'authorization matrix'): void {
  // Credential routes hash passwords (scrypt, 128 MiB) even for unknown accounts: slow on a busy machine.
  jest.setTimeout(300_000);
  const counts = { routes: 0, requests: 0, server5xx: 0, leaks: 0 };
  let a: Person;
  let world: World;

  /** Valid requests for the route, with ids and codes the world's answers named. */
  const samples = (route: Route, count: number): GeneratedRequest[] =>
    sampleValid(route, count, { idsFor: world.pool.idsFor, codesFor: world.pool.codesFor });
  const sample = (route: Route): GeneratedRequest => samples(route, 1)[0] as GeneratedRequest;

  /** Path parameters that hold ids (not one of a fixed list, as a consent type is). */
  const idParams = (route: Route) => {
    const props = jsonSchemaOf(route.schemas.params)?.properties ?? {};
    return paramNames(route).filter((n) => props[n]?.format === 'uuid');
  };

  /** Sends one request as someone other than A and checks the answer's shape and that it shows nothing of A. */
  async function asOther(
    route: Route,
    req: GeneratedRequest,
    token?: string,
    headers: Record<string, string> = {},
  ) {
    const r = await send(api, { ...req, headers: { ...req.headers, ...headers } }, token);
    counts.requests += 1;
    if (r.status >= 500) counts.server5xx += 1;
    // An id the caller sent itself (a client-made id, a path parameter) is no leak when echoed.
    const sent = `${req.target} ${req.body ?? ''}`.toLowerCase();
    const leaks = leaksOf(a, r.body).filter((l) => !sent.includes(l.toLowerCase()));
    counts.leaks += leaks.length;
    expect({ route: routeKey(route), status: r.status, leaks }).toEqual({
      route: routeKey(route),
      status: expect.any(Number),
      leaks: [],
    });
    expect(r.status).toBeLessThan(500);
    return r;
  }

  const expectProblem = (route: Route, r: ApiResponse, status: number, codes: string[]) =>
    expect([routeKey(route), r.status, r.headers.get('content-type'), r.body?.code]).toEqual([
      routeKey(route),
      status,
      'application/problem+json',
      expect.stringMatching(new RegExp(`^(${codes.join('|')})$`)),
    ]);

  const started = Date.now();
  beforeAll(async () => {
    world = await seedWorld(api);
    a = await seedPerson(api, world);
  }, 300_000);

  afterAll(() => {
    process.stdout.write(
      `${label}: ${counts.routes} routes, ${counts.requests} requests, ${counts.server5xx} 5xx, ` +
        `${counts.leaks} leaks in ${Math.round((Date.now() - started) / 1000)} s ` +
        `(person A wrote through ${a?.wrote} routes, owns ${a?.own.length} ids; ` +
        `administrators' routes seeded: ${world?.seeded.size})\n`,
    );
  });

  describe('person A, seeded through the route table', () => {
    it('has records of their own, and their own answers show their marker: the leak scan can see them', async () => {
      process.stdout.write(`person A, writing: ${JSON.stringify(Object.fromEntries(a.outcomes))}\n`);
      expect(a.wrote).toBeGreaterThan(0);
      expect(a.own.length).toBeGreaterThan(2);
      const seen = [];
      for (const route of allRoutes.filter(
        (r) => r.method === 'GET' && r.access === 'user' && !paramNames(r).length,
      ))
        seen.push(...leaksOf(a, (await api.request('GET', route.path, { token: a.token })).body));
      expect(seen).toEqual(expect.arrayContaining([a.marker, a.id]));
    });
  });

  describe.each(allRoutes.map((r) => [routeKey(r), r] as const))('%s', (_key, route) => {
    it('answers each caller what it must, and never shows anything of person A', async () => {
      counts.routes += 1;
      const req = sample(route);
      if (route.access === 'public') {
        // Public routes ignore tokens: whatever the token, no 5xx and nothing of A.
        await asOther(route, req);
        for (const make of Object.values(badTokens))
          await asOther(route, req, await make(await createUser(api.db)));
        return;
      }

      expectProblem(route, await asOther(route, req), 401, ['missing_token']);
      for (const [what, make] of Object.entries(badTokens)) {
        const r = await asOther(route, req, await make(await createUser(api.db)));
        expectProblem(route, r, 401, what === 'expired' ? ['token_expired'] : ['invalid_token']);
      }

      // Signed-in routes of either kind: the session ends for a user or an administrator alike.
      const role = route.access === 'admin' ? 'admin' : 'user';
      const revoked = await createUser(api.db, { role });
      await api.db.sql`update auth.user_sessions set revoked_at = now(), revoked_reason = 'user_revoked'
        where id = ${revoked.sessionId}`;
      expectProblem(route, await asOther(route, req, revoked.token), 401, ['session_ended']);

      const deleted = await createUser(api.db, { role });
      expect((await api.request('DELETE', '/me', { token: deleted.token })).status).toBe(202);
      expectProblem(route, await asOther(route, req, deleted.token), 401, ['session_ended']);

      if (route.access === 'admin') {
        const user = await createUser(api.db);
        expectProblem(route, await asOther(route, req, user.token), 403, ['admin_only']);
        expectProblem(route, await asOther(route, req, await adminClaim(user)), 403, ['admin_only']);
        // An administrator gets the route's success from one of a few valid requests, unless no
        // answer names a record a path parameter needs: then the route's own 404.
        const admin = await createUser(api.db, { role: 'admin' });
        const statuses: number[] = [];
        for (const r of samples(route, 6)) {
          const answer = await send(api, r, admin.token);
          counts.requests += 1;
          if (answer.status >= 500) counts.server5xx += 1;
          statuses.push(answer.status);
          if (answer.status === route.status) break;
        }
        const unknown = idParams(route).filter((n) => !world.pool.idsFor(paramHint(route, n)).length);
        expect([
          routeKey(route),
          unknown.length ? statuses.every((st) => st === 404) : statuses.at(-1),
        ]).toEqual([routeKey(route), unknown.length ? true : route.status]);
        return;
      }

      // Person B, with each of A's ids in every id parameter: not found, A's record unchanged.
      const names = idParams(route);
      if (names.length) {
        const b = await createUser(api.db);
        await prepare(api, b);
        for (const id of a.own) {
          const path = route.path.replace(/\{([^}]+)\}/g, (m, n: string) =>
            names.includes(n)
              ? id
              : ((req.target.split('?')[0] ?? '').split('/')[route.path.split('/').indexOf(m)] ?? id),
          );
          const r = await asOther(route, { ...req, target: path }, b.token);
          expectProblem(route, r, 404, ['not_found', '[a-z_]+_not_found']);
        }
      }

      // Person B's own valid request: whatever it answers, nothing of A.
      const b = await createUser(api.db);
      await prepare(api, b);
      await asOther(route, sample(route), b.token);
    });
  });

  describe('after the walk', () => {
    it('walked every route with no 5xx and no leak', () => {
      expect(counts).toEqual({
        routes: allRoutes.length,
        requests: expect.any(Number),
        server5xx: 0,
        leaks: 0,
      });
    });
  });
}
