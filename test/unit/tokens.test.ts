import { SignJWT } from 'jose';
import { jwtKey } from '../../functions/core/config';
import { testJwtSecret } from '../support/api';
import { signAccessToken, verifiedTokensKept, verifyAuthorization } from '../../functions/core/tokens';

const caller = {
  userId: '6f1c1a52-3c1e-4a55-9d7e-8d1f0b6f2a10',
  role: 'user',
  sessionId: '0d7c55a2-51a8-4f4e-9a47-1f6f0a3a1c22',
} as const;

beforeAll(() => {
  process.env.JWT_SECRET ??= testJwtSecret;
});

describe('access tokens verified once per container', () => {
  afterEach(() => jest.useRealTimers());

  it('answers the same caller for a token seen before, and still refuses any other byte', async () => {
    const token = await signAccessToken(caller);

    expect(await verifyAuthorization(`Bearer ${token}`)).toEqual(caller);
    expect(await verifyAuthorization(`Bearer ${token}`)).toEqual(caller);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(verifyAuthorization(`Bearer ${header}.${payload}.${flipped}`)).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('refuses a known token once it has expired', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-03T10:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
    const token = await signAccessToken(caller);
    expect(await verifyAuthorization(`Bearer ${token}`)).toEqual(caller);

    jest.setSystemTime(new Date('2026-12-03T10:15:00Z'));

    await expect(verifyAuthorization(`Bearer ${token}`)).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('never keeps a token that failed a check', async () => {
    // Signed with the right key but living longer than the API issues tokens for.
    const long = await new SignJWT({ role: 'user', sid: caller.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(caller.userId)
      .setIssuer('eatsential')
      .setAudience('eatsential-api')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(await jwtKey());

    for (let i = 0; i < 2; i += 1)
      await expect(verifyAuthorization(`Bearer ${long}`)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('keeps at most a bounded number of tokens, and verifies an evicted one again', async () => {
    const first = await signAccessToken(caller);
    await verifyAuthorization(`Bearer ${first}`);
    for (let i = 0; i < verifiedTokensKept; i += 1) {
      const other = { ...caller, sessionId: `0d7c55a2-51a8-4f4e-9a47-${String(i).padStart(12, '0')}` };
      expect((await verifyAuthorization(`Bearer ${await signAccessToken(other)}`)).sessionId).toBe(
        other.sessionId,
      );
    }

    expect(await verifyAuthorization(`Bearer ${first}`)).toEqual(caller);
  });
});
