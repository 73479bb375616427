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
    ['no token', 'GET /me', async () => undefined],
    ['a malformed token', 'GET /me', async () => 'Bearer abc'],
    [
      'a user token on an admin route',
      'GET /admin/users',
      async () => `Bearer ${await signAccessToken(caller('user'))}`,
    ],
  ])('refuses %s', async (_what, route, header) => {
    expect((await handler(event(route, await header()))).isAuthorized).toBe(false);
  });

  it('admits an administrator on an admin route', async () => {
    expect(
      (await handler(event('GET /admin/users', `Bearer ${await signAccessToken(caller('admin'))}`)))
        .isAuthorized,
    ).toBe(true);
  });
});
