import { routeKey, type Route } from '../../functions/core/route';
import { createUser, useApi, type ApiResponse } from '../support';
import { adminClaim, badTokens, leaksOf, seedPerson, send, type Person } from '../support/people';
import { allRoutes, paramNames, sampleValid, type GeneratedRequest } from '../support/routeInputs';

/**
 * The authorization matrix, walked from the route table: every route, asked without a token, with
 * each kind of bad token, for a revoked session and a deleted account, by a user on an admin
 * route, and by person B with person A's ids, answers what it must, and no answer to B shows
 * anything of A (A's marker is written into every free string A sent).
 */
const api = useApi();
// Credential routes hash passwords (scrypt, 128 MiB) even for unknown accounts: slow on a busy machine.
jest.setTimeout(300_000);
const counts = { routes: 0, requests: 0, server5xx: 0, leaks: 0 };
let a: Person;

const sample = (route: Route, ids?: string[]): GeneratedRequest =>
  sampleValid(route, 1, ids ? { ids } : {})[0] as GeneratedRequest;

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
  const leaks = leaksOf(a, r.body);
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

beforeAll(async () => {
  a = await seedPerson(api);
}, 300_000);

afterAll(() => {
  process.stdout.write(
    `authorization matrix: ${counts.routes} routes, ${counts.requests} requests, ${counts.server5xx} 5xx, ${counts.leaks} leaks\n`,
  );
});

describe('person A, seeded through the route table', () => {
  it('has records of their own, and their own answers show their marker: the leak scan can see them', async () => {
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
    expect((await api.request('DELETE', '/me', { token: deleted.token })).status).toBe(204);
    expectProblem(route, await asOther(route, req, deleted.token), 401, ['session_ended']);

    if (route.access === 'admin') {
      const user = await createUser(api.db);
      expectProblem(route, await asOther(route, req, user.token), 403, ['admin_only']);
      expectProblem(route, await asOther(route, req, await adminClaim(user)), 403, ['admin_only']);
      const admin = await createUser(api.db, { role: 'admin' });
      const r = await send(api, req, admin.token);
      counts.requests += 1;
      expect([routeKey(route), r.status]).toEqual([routeKey(route), route.status]);
      return;
    }

    // Person B, with each of A's ids in every path parameter: not found, A's record unchanged.
    const names = paramNames(route);
    if (names.length) {
      for (const id of a.own) {
        const b = await createUser(api.db);
        const path = route.path.replace(/\{[^}]+\}/g, id);
        const r = await asOther(route, { ...req, target: path }, b.token);
        expectProblem(route, r, 404, ['not_found', '[a-z_]+_not_found']);
      }
    }

    // Person B's own valid request: whatever it answers, nothing of A.
    const b = await createUser(api.db);
    await asOther(route, sample(route, [...a.references]), b.token);
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
