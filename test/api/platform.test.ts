import { SignJWT } from 'jose';
import { routes } from '../../functions/routes';
import { createUser, testJwtSecret, useApi } from '../support';

const api = useApi();
const isProblem = (r: { status: number; headers: Headers; body: { code?: unknown } }) => {
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  expect(typeof r.body.code).toBe('string');
};

/** A request that reaches each route's own checks: path parameters filled with valid values. */
const concretePath = (path: string) => path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');

describe('every route in the route table', () => {
  const guarded = routes.filter((r) => r.access !== 'public');

  it.each(guarded.map((r) => [r.method, r.path] as const))(
    '%s %s refuses a request without a token',
    async (method, path) => {
      const r = await api.request(method, concretePath(path), {
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(r.status).toBe(401);
      isProblem(r);
    },
  );

  it.each(routes.filter((r) => r.access === 'admin').map((r) => [r.method, r.path] as const))(
    '%s %s refuses a signed-in user who is not an administrator',
    async (method, path) => {
      const user = await createUser(api.db);
      const r = await api.request(method, concretePath(path), { token: user.token });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('admin_only');
    },
  );
});

describe('requests a client gets wrong', () => {
  it.each([
    ['malformed JSON', { body: '{"email": ', headers: {} }, 400, 'malformed_json'],
    [
      'a wrong content type',
      { body: 'email=a@b.co', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'unsupported_media_type',
    ],
    [
      'unknown fields',
      { body: { email: 'a@example.com', is_admin: true }, headers: {} },
      400,
      'validation_failed',
    ],
    ['a missing field', { body: {}, headers: {} }, 400, 'validation_failed'],
    ['a JSON array', { body: '[1,2]', headers: {} }, 400, 'validation_failed'],
    [
      'a body over 1 MB',
      { body: { email: `${'a'.repeat(1024 * 1024)}@example.com` }, headers: {} },
      413,
      'body_too_large',
    ],
  ])('answers %s with a problem', async (_what, options, status, code) => {
    const r = await api.request('POST', '/auth/password-reset/request', options);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    isProblem(r);
  });

  it('lists field errors for an invalid body', async () => {
    const r = await api.request('POST', '/auth/register', {
      body: { username: 'x', email: 'nope', password: 'short' },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.email',
      'body.password',
      'body.username',
    ]);
  });

  it('answers control characters in a device name with 400 and not 500', async () => {
    const r = await api.request('POST', '/auth/login', {
      body: { email: 'nobody@example.com', password: 'whatever it is', device_name: 'phone\u0000' },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('body.device_name');
  });

  it('answers a path that is not valid percent-encoding with 400', async () => {
    const user = await createUser(api.db);
    const r = await api.request('DELETE', '/me/sessions/%E0%A4%A', { token: user.token });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_path');
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    const missing = await api.request('GET', '/nothing-here');
    expect(missing.status).toBe(404);
    isProblem(missing);
    const wrongMethod = await api.request('PUT', '/me');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
  });

  it('refuses unknown query parameters and an invalid cursor', async () => {
    const user = await createUser(api.db);
    expect((await api.request('GET', '/me/sessions?limit=5&admin=1', { token: user.token })).body.code).toBe(
      'validation_failed',
    );
    expect((await api.request('GET', '/me/sessions?cursor=garbage', { token: user.token })).body.code).toBe(
      'invalid_cursor',
    );
    expect((await api.request('GET', '/me/sessions?limit=1000', { token: user.token })).status).toBe(400);
  });
});

describe('access tokens', () => {
  const key = new TextEncoder().encode(testJwtSecret);
  const claims = (userId: string, sessionId: string) => ({ role: 'user', sid: sessionId, sub: userId });
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it.each([
    ['missing', async () => undefined],
    ['garbage', async () => 'not-a-token'],
    [
      'expired',
      async (u: { id: string; sessionId: string }) =>
        new SignJWT(claims(u.id, u.sessionId))
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('eatsential')
          .setAudience('eatsential-api')
          .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 1800)
          .sign(key),
    ],
    [
      'never-expiring',
      async (u: { id: string; sessionId: string }) =>
        new SignJWT(claims(u.id, u.sessionId))
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('eatsential')
          .setAudience('eatsential-api')
          .setIssuedAt()
          .sign(key),
    ],
    [
      'future-dated',
      async (u: { id: string; sessionId: string }) =>
        new SignJWT(claims(u.id, u.sessionId))
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('eatsential')
          .setAudience('eatsential-api')
          .setIssuedAt(Math.floor(Date.now() / 1000) + 600)
          .setExpirationTime(Math.floor(Date.now() / 1000) + 1200)
          .sign(key),
    ],
    [
      'signed with another key',
      async (u: { id: string; sessionId: string }) =>
        new SignJWT(claims(u.id, u.sessionId))
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('eatsential')
          .setAudience('eatsential-api')
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode('another-key-another-key-another-key-0000')),
    ],
    [
      'tampered',
      async (u: { token: string }) => {
        const [h, p, s] = u.token.split('.') as [string, string, string];
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
        return `${h}.${b64({ ...payload, role: 'admin' })}.${s}`;
      },
    ],
    [
      'alg none',
      async (u: { token: string }) => {
        const payload = JSON.parse(Buffer.from(u.token.split('.')[1] as string, 'base64url').toString());
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
      },
    ],
  ])('refuses a %s token with 401', async (_what, make) => {
    const user = await createUser(api.db);
    const token = await make(user as never);
    const r = await api.request(
      'GET',
      '/me',
      token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    expect(r.status).toBe(401);
    isProblem(r);
  });

  it('refuses the token of a revoked session at once', async () => {
    const user = await createUser(api.db);
    expect((await api.request('GET', '/me', { token: user.token })).status).toBe(200);
    await api.db
      .sql`update auth.user_sessions set revoked_at = now(), revoked_reason = 'user_revoked' where id = ${user.sessionId}`;
    const r = await api.request('GET', '/me', { token: user.token });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('session_ended');
  });
});

describe('the access log', () => {
  it('records one row per request with the route template, not the raw path', async () => {
    const user = await createUser(api.db);
    const sessionPath = `/me/sessions/${user.sessionId}`;
    await api.request('DELETE', sessionPath, { token: user.token });
    const rows = await api.db.sql`
      select endpoint, method, status_code, user_id, response_time_ms, host(ip_address) as ip
      from audit.access_logs where user_id = ${user.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      endpoint: '/me/sessions/{sessionId}',
      method: 'DELETE',
      user_id: user.id,
      ip: '127.0.0.1',
    });
    expect(rows[0]?.response_time_ms).toBeGreaterThanOrEqual(0);
  });
});
