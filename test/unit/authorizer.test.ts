import { randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
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

  it('leaves the admin check to the domain Lambda, which reads the role from the database', async () => {
    const userToken = await signAccessToken(caller('user'));
    expect((await handler(event('GET /admin/users', `Bearer ${userToken}`))).isAuthorized).toBe(true);
  });
});
