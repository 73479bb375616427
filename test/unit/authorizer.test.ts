import { randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { handler } from '../../functions/authorizer/handler';
import { signAccessToken } from '../../functions/core/tokens';
import { testJwtSecret } from '../support/api';

process.env.JWT_SECRET = testJwtSecret;

const event = (routeKey: string, authorization?: string) =>
  ({
    type: 'REQUEST',
    routeKey,
    headers: authorization ? { authorization } : {},
  }) as unknown as APIGatewayRequestAuthorizerEventV2;

describe('the API Gateway authorizer', () => {
  const caller = (role: 'user' | 'admin') => ({ userId: randomUUID(), role, sessionId: randomUUID() });

  it('admits a valid token and passes the caller on', async () => {
    const c = caller('user');
    const result = await handler(event('GET /me', `Bearer ${await signAccessToken(c)}`));
    expect(result).toEqual({
      isAuthorized: true,
      context: { userId: c.userId, role: 'user', sessionId: c.sessionId },
    });
  });

  it.each([
    ['no token', async () => undefined],
    ['a malformed token', async () => 'Bearer abc'],
    [
      'a token whose algorithm is none',
      async () => {
        const [, payload] = (await signAccessToken(caller('user'))).split('.');
        return `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      },
    ],
  ])('refuses %s', async (_what, header) => {
    expect((await handler(event('GET /me', await header()))).isAuthorized).toBe(false);
  });

  /** A token signed with the right key, issuer and audience, with the times given (seconds from now). */
  const signed = (times: { iat?: number; exp?: number }) => {
    const now = Math.floor(Date.now() / 1000);
    const c = caller('user');
    const jwt = new SignJWT({ role: c.role, sid: c.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.userId)
      .setIssuer('eatsential')
      .setAudience('eatsential-api');
    if (times.iat !== undefined) jwt.setIssuedAt(now + times.iat);
    if (times.exp !== undefined) jwt.setExpirationTime(now + times.exp);
    return jwt.sign(new TextEncoder().encode(testJwtSecret));
  };

  it.each([
    ['without an expiry', { iat: 0 }],
    ['without an issue time', { exp: 600 }],
    ['issued five minutes in the future', { iat: 300, exp: 900 }],
    ['living a year', { iat: 0, exp: 365 * 24 * 3600 }],
    ['expired a second ago', { iat: -900, exp: -1 }],
  ])('refuses a correctly signed token %s', async (_what, times) => {
    expect((await handler(event('GET /me', `Bearer ${await signed(times)}`))).isAuthorized).toBe(false);
  });

  it.each([
    ['issued now for 15 minutes', { iat: 0, exp: 900 }],
    ['issued by a clock 30 seconds ahead', { iat: 30, exp: 930 }],
  ])('admits a token %s', async (_what, times) => {
    expect((await handler(event('GET /me', `Bearer ${await signed(times)}`))).isAuthorized).toBe(true);
  });

  it('leaves the admin check to the domain Lambda, which reads the role from the database', async () => {
    const userToken = await signAccessToken(caller('user'));
    expect((await handler(event('GET /admin/users', `Bearer ${userToken}`))).isAuthorized).toBe(true);
  });
});
