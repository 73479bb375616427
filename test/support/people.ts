import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Route } from '../../functions/core/route';
import { createUser, testJwtSecret, type TestApi } from './api';
import { allRoutes, paramNames, sampleValid, type GeneratedRequest } from './routeInputs';

const uuidText = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Every UUID written anywhere in a value. */
export function uuidsIn(value: unknown): string[] {
  return (JSON.stringify(value ?? null).match(uuidText) ?? []).map((s) => s.toLowerCase());
}

export type User = Awaited<ReturnType<typeof createUser>>;

/** A person with data of their own in every domain, made through the API from the route table. */
export interface Person extends User {
  /** Written into every free string of every record they made. */
  readonly marker: string;
  /** Ids that appeared in their answers only once they had written: their own records and sessions. */
  readonly own: readonly string[];
  /** Ids seen before they wrote anything: catalogue references any person may use. */
  readonly references: readonly string[];
  /** How many of the writing routes accepted one of the generated bodies. */
  readonly wrote: number;
}

/** Connections the HTTP client found reset when it reused them (counted, then retried once). */
export const resets = { count: 0 };

/**
 * Sends a generated request. A keep-alive connection the server closes (idle timeout) just as the
 * client reuses it is reset before the request is read; that one is retried once on a new
 * connection and counted, since it says nothing about the route.
 */
export async function send(api: TestApi, req: GeneratedRequest, token?: string) {
  const go = () =>
    api.request(req.method, req.target, {
      ...(req.body !== undefined ? { body: req.body } : {}),
      headers: req.headers,
      ...(token ? { token } : {}),
    });
  try {
    return await go();
  } catch (e) {
    const code = ((e as Error).cause as { code?: string } | undefined)?.code;
    if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET') throw e;
    resets.count += 1;
    return go();
  }
}

/**
 * Signed-in routes without path parameters that read (GET) or write (POST, PUT, PATCH with a
 * body). Credential routes (the `auth` throttle class) hold no personal records and are left out.
 */
export const readers = () =>
  allRoutes.filter((r) => r.access === 'user' && r.method === 'GET' && paramNames(r).length === 0);
export const writers = (): Route[] =>
  allRoutes.filter(
    (r) =>
      r.access === 'user' &&
      r.method !== 'GET' &&
      r.method !== 'DELETE' &&
      !!r.schemas.body &&
      paramNames(r).length === 0,
  );

export async function readAll(api: TestApi, token: string): Promise<string[]> {
  const ids: string[] = [];
  for (const r of readers()) {
    const answer = await api.request('GET', r.path, { token });
    // Only data: a problem's `instance` is a fresh request id each time.
    if (answer.status === 200) ids.push(...uuidsIn(answer.body));
  }
  return ids;
}

/**
 * Makes a person and gives them data through every writing route: bodies generated from the
 * route's schema, UUID fields drawn from the catalogue ids the reading routes answered, free
 * strings carrying the person's marker. Each route gets up to `tries` bodies until one is accepted.
 */
export async function seedPerson(
  api: TestApi,
  options: { tries?: number; seed?: number } = {},
): Promise<Person> {
  const user = await createUser(api.db);
  const marker = `zq${randomBytes(8).toString('hex')}`;
  const before = new Set(await readAll(api, user.token));
  const references = [...before].filter((id) => id !== user.id && id !== user.sessionId);
  let wrote = 0;
  for (const route of writers()) {
    const candidates = sampleValid(route, options.tries ?? 8, {
      marker,
      ids: references,
      seed: options.seed,
    });
    for (const req of candidates) {
      const r = await send(api, req, user.token);
      if (r.status < 300) {
        wrote += 1;
        break;
      }
    }
  }
  const after = await readAll(api, user.token);
  const own = new Set([user.id, user.sessionId, ...after.filter((id) => !before.has(id))]);
  return { ...user, marker, own: [...own], references, wrote };
}

/** What of person A an answer to someone else must never show. */
export function leaksOf(a: Person, answer: unknown): string[] {
  const text = JSON.stringify(answer ?? null).toLowerCase();
  return [a.marker, a.username.toLowerCase(), `${a.username}@example.com`.toLowerCase(), ...a.own].filter(
    (s) => text.includes(s.toLowerCase()),
  );
}

// ---- tokens that must not be accepted ---------------------------------------------------------

const key = new TextEncoder().encode(testJwtSecret);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = (u: User) => ({ role: 'user', sid: u.sessionId });
const now = () => Math.floor(Date.now() / 1000);

/** Each way an access token can be wrong, made for a real user with a live session. */
export const badTokens: Record<string, (u: User) => Promise<string>> = {
  expired: (u) =>
    new SignJWT(claims(u))
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.id)
      .setIssuer('eatsential')
      .setAudience('eatsential-api')
      .setIssuedAt(now() - 3600)
      .setExpirationTime(now() - 1800)
      .sign(key),
  'wrong key': (u) =>
    new SignJWT(claims(u))
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.id)
      .setIssuer('eatsential')
      .setAudience('eatsential-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(`another-${randomBytes(24).toString('hex')}`)),
  'alg none': async (u) => {
    const payload = {
      ...claims(u),
      sub: u.id,
      iss: 'eatsential',
      aud: 'eatsential-api',
      iat: now(),
      exp: now() + 300,
    };
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  },
  'no exp': (u) =>
    new SignJWT(claims(u))
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.id)
      .setIssuer('eatsential')
      .setAudience('eatsential-api')
      .setIssuedAt()
      .sign(key),
};

/** A token signed with the right key for a person whose role is user, but claiming admin. */
export const adminClaim = (u: User) =>
  new SignJWT({ ...claims(u), role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(u.id)
    .setIssuer('eatsential')
    .setAudience('eatsential-api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
