import { request } from 'node:http';
import { createUser, useApi } from '../support';

const api = useApi();

/** A request whose target goes on the wire exactly as written: fetch would resolve its dot segments. */
function raw(
  method: string,
  target: string,
  token: string,
): Promise<{ status: number; type: string | undefined; body: { code?: string } }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { method, hostname, port, path: target, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            body: text ? JSON.parse(text) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('request paths on the local server', () => {
  it('refuses DELETE /me/sessions/.. with 400 invalid_path and keeps the account', async () => {
    const user = await createUser(api.db);

    const r = await raw('DELETE', '/me/sessions/..', user.token);

    expect(r).toMatchObject({
      status: 400,
      type: 'application/problem+json',
      body: { code: 'invalid_path' },
    });
    const [row] = await api.db.sql`select deleted_at from public.users where id = ${user.id}`;
    expect(row?.deleted_at).toBeNull();
    expect((await api.request('GET', '/me', { token: user.token })).status).toBe(200);
  });

  it.each([
    ['a dot-dot segment', '/me/sessions/..'],
    ['a dot segment', '/me/./sessions'],
    ['a percent-encoded dot-dot segment', '/me/sessions/%2e%2e'],
    ['a half-encoded dot-dot segment', '/me/sessions/.%2E'],
    ['a trailing dot-dot with a query', '/me/sessions/..?limit=1'],
    ['an empty segment', '/me//sessions'],
    ['a leading double slash', '//me'],
    ['a backslash', '/me\\sessions'],
    ['a percent-encoded backslash', '/me/sessions%5c..'],
    ['a target that is not a path', 'http://localhost/me'],
  ])('refuses %s with 400 invalid_path before matching a route', async (_what, target) => {
    const user = await createUser(api.db);

    const r = await raw('GET', target, user.token);

    expect(r).toMatchObject({
      status: 400,
      type: 'application/problem+json',
      body: { code: 'invalid_path' },
    });
  });

  it.each([
    ['a canonical path', 'GET', '/me/sessions', 200, undefined],
    ['one trailing slash', 'GET', '/me/sessions/', 200, undefined],
    ['three dots, which are no dot segment', 'DELETE', '/me/sessions/...', 400, 'validation_failed'],
  ])('serves %s as its route', async (_what, method, target, status, code) => {
    const user = await createUser(api.db);

    const r = await raw(method, target, user.token);

    expect(r.status).toBe(status);
    if (code) expect(r.body.code).toBe(code);
  });
});

describe('query strings on the local server', () => {
  const goal = '/me/mental-goals/00000000-0000-4000-8000-000000000000';

  it.each([
    ['__proto__', `${goal}?__proto__=1`],
    ['constructor', `${goal}?constructor=1`],
    ['toString, twice', `${goal}?toString=1&toString=2`],
  ])(
    'refuses %s on a route that takes no query, as API Gateway would: 400 unexpected_query',
    async (_what, target) => {
      const user = await createUser(api.db);

      const r = await raw('DELETE', target, user.token);

      expect(r).toMatchObject({
        status: 400,
        type: 'application/problem+json',
        body: { code: 'unexpected_query' },
      });
    },
  );

  it('refuses __proto__ on a route with a query schema as a field it does not know', async () => {
    const user = await createUser(api.db);

    const r = await raw('GET', '/me/sessions?__proto__=1', user.token);

    expect(r).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
  });
});
