import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
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
/** How far ahead of this clock the clock of the Lambda that issued a token may be. */
export const clockSkewSeconds = 60;

const refused = (message: string, code: 'invalid_token' | 'token_expired', cause?: unknown) =>
  new UnauthorizedError(message, {
    code,
    headers: { 'www-authenticate': `Bearer error="invalid_token"` },
    cause,
  });

/**
 * Tokens this container has verified, until they expire. An app sends the same access token with
 * every request for up to its 15 minutes, and verifying its HMAC through WebCrypto (jose) costs
 * 0.2-0.4 ms, a fifth of a signed-in read's time in the API. Keyed by the whole token, so a token
 * differing in any byte is verified afresh; every hit is held to the clock again; only tokens that
 * passed every check are kept. The session behind a token is still checked in the database on
 * every request, so a revoked session is refused at once.
 */
const verified = new Map<string, { readonly caller: Caller; readonly exp: number }>();
/** At most this many tokens are kept; the oldest go first. */
export const verifiedTokensKept = 5_000;

/** Verifies an `Authorization` header value; the algorithm is pinned, so `alg: none` or RS/HS confusion fails. */
export async function verifyAuthorization(header: string | undefined): Promise<Caller> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header?.trim() ?? '');
  if (!match?.[1]) {
    throw new UnauthorizedError('A bearer access token is required', {
      code: header ? 'invalid_token' : 'missing_token',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  const token = match[1];
  const known = verified.get(token);
  if (known) {
    if (Math.floor(Date.now() / 1000) < known.exp) return known.caller;
    verified.delete(token); // expired: jose below refuses it with token_expired
  }
  const { caller, exp } = await verifyToken(token);
  if (verified.size >= verifiedTokensKept) verified.delete(verified.keys().next().value as string);
  verified.set(token, { caller, exp });
  return caller;
}

async function verifyToken(token: string): Promise<{ caller: Caller; exp: number }> {
  let payload: JWTPayload;
  try {
    // jose checks `exp` only when present: a token without one would never expire.
    ({ payload } = await jwtVerify(token, await jwtKey(), {
      algorithms: ['HS256'],
      issuer,
      audience,
      requiredClaims: ['exp', 'iat'],
    }));
  } catch (e) {
    throw e instanceof errors.JWTExpired
      ? refused('The access token has expired', 'token_expired', e)
      : refused('The access token is invalid', 'invalid_token', e);
  }
  const { sub, role, sid, iat, exp } = payload;
  const now = Math.floor(Date.now() / 1000);
  // Issued in the future, or living longer than this API issues tokens for: not one of ours.
  if (
    iat === undefined ||
    exp === undefined ||
    iat > now + clockSkewSeconds ||
    exp - iat > accessTokenSeconds
  ) {
    throw refused('The access token is invalid', 'invalid_token');
  }
  if (
    typeof sub !== 'string' ||
    !uuid.test(sub) ||
    typeof sid !== 'string' ||
    !uuid.test(sid) ||
    (role !== 'user' && role !== 'admin')
  ) {
    throw refused('The access token is malformed', 'invalid_token');
  }
  return { caller: { userId: sub, role, sessionId: sid }, exp };
}
