import { errors, jwtVerify, SignJWT } from 'jose';
import { jwtKey } from './config';
import { UnauthorizedError } from './errors';

/** Who an access token speaks for. */
export interface Caller {
  readonly userId: string;
  readonly role: 'user' | 'admin';
  readonly sessionId: string;
}

const issuer = 'eatsential';
const audience = 'eatsential-api';
/** Access tokens are short-lived; refresh tokens (opaque, hashed in the database) renew them. */
export const accessTokenSeconds = 15 * 60;

export async function signAccessToken(caller: Caller): Promise<string> {
  return new SignJWT({ role: caller.role, sid: caller.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(caller.userId)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${accessTokenSeconds}s`)
    .sign(await jwtKey());
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verifies an `Authorization` header value; the algorithm is pinned, so `alg: none` or RS/HS confusion fails. */
export async function verifyAuthorization(header: string | undefined): Promise<Caller> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header?.trim() ?? '');
  if (!match?.[1]) {
    throw new UnauthorizedError('A bearer access token is required', {
      code: header ? 'invalid_token' : 'missing_token',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  try {
    const { payload } = await jwtVerify(match[1], await jwtKey(), {
      algorithms: ['HS256'],
      issuer,
      audience,
    });
    const { sub, role, sid } = payload;
    if (
      typeof sub !== 'string' ||
      !uuid.test(sub) ||
      typeof sid !== 'string' ||
      !uuid.test(sid) ||
      (role !== 'user' && role !== 'admin')
    ) {
      throw new UnauthorizedError('The access token is malformed', { code: 'invalid_token' });
    }
    return { userId: sub, role, sessionId: sid };
  } catch (e) {
    if (e instanceof UnauthorizedError) throw e;
    const expired = e instanceof errors.JWTExpired;
    throw new UnauthorizedError(expired ? 'The access token has expired' : 'The access token is invalid', {
      code: expired ? 'token_expired' : 'invalid_token',
      headers: { 'www-authenticate': `Bearer error="invalid_token"` },
      cause: e,
    });
  }
}
