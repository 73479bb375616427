import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Route } from '../../functions/core/route';
import { createUser, testJwtSecret, type TestApi } from './api';
import { routeKey } from '../../functions/core/route';
import {
  allRoutes,
  fillPath,
  jsonSchemaOf,
  paramNames,
  sampleValid,
  type GeneratedRequest,
  type ValidOptions,
} from './routeInputs';

const uuidText = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Every UUID written anywhere in a value. */
export function uuidsIn(value: unknown): string[] {
  return (JSON.stringify(value ?? null).match(uuidText) ?? []).map((s) => s.toLowerCase());
}

export type User = Awaited<ReturnType<typeof createUser>>;

/** A name reduced to what it names: `meal_id`, `mealId`, `meals` and `/meals` all say `meal`. */
const stem = (name: string) =>
  name
    .replace(/(_id|Id|_ids|Ids)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/ies$/, 'y')
    .replace(/s$/, '');

const fits = (wanted: string, known: string) => !!wanted && (known === wanted || known.endsWith(wanted));

/**
 * Ids and vocabulary codes seen in answers, by what they name, so that a generated request can
 * refer to real resources without the suite naming any: a record created by `POST /admin/meals`
 * is a `meal`; objects with an `id` in an array under `health_tags` are `health_tag`s; a
 * `restaurant_id` field holds a `restaurant`; objects with a `code` under `llm_models` give
 * codes for an `llm_model` field. A field or parameter then draws from what fits its name.
 */
export class Pool {
  private readonly ids = new Map<string, Set<string>>();
  private readonly codes = new Map<string, Set<string>>();

  private put(map: Map<string, Set<string>>, name: string, value: string) {
    const key = stem(name);
    if (!key) return;
    const set = map.get(key) ?? new Set<string>();
    set.add(value);
    map.set(key, set);
  }

  /** Learns from an answer; `collection` names the answer itself (a record just created). */
  learn(answer: unknown, collection?: string): void {
    const isId = (v: unknown): v is string => typeof v === 'string' && uuidOnly.test(v);
    if (collection && answer && typeof answer === 'object' && isId((answer as { id?: unknown }).id))
      this.put(this.ids, collection, (answer as { id: string }).id);
    const walk = (v: unknown, key: string) => {
      if (Array.isArray(v)) {
        for (const e of v) {
          if (e && typeof e === 'object') {
            const { id, code } = e as { id?: unknown; code?: unknown };
            if (isId(id)) this.put(this.ids, key, id);
            if (typeof code === 'string') this.put(this.codes, key, code);
          }
          walk(e, key);
        }
      } else if (v && typeof v === 'object') {
        for (const [k, e] of Object.entries(v)) {
          if (isId(e) && /(_id|Id)$/.test(k)) this.put(this.ids, k, e);
          // A page's `items` are of the collection the page is of.
          walk(e, k === 'items' ? key : k);
        }
      }
    };
    walk(answer, collection ?? '');
  }

  private pick(map: Map<string, Set<string>>, name: string): string[] {
    const wanted = stem(name);
    return [...map.entries()].filter(([k]) => fits(wanted, k)).flatMap(([, set]) => [...set]);
  }

  readonly idsFor = (name: string): string[] => this.pick(this.ids, name);
  readonly codesFor = (name: string): string[] => this.pick(this.codes, name);

  /** Every id known. */
  all(): string[] {
    return [...new Set([...this.ids.values()].flatMap((set) => [...set]))];
  }

  /** A pool knowing this one's ids and codes and then the other's. */
  with(other: Pool): Pool {
    const out = new Pool();
    for (const from of [this, other]) {
      for (const [k, set] of from.ids) for (const v of set) out.put(out.ids, k, v);
      for (const [k, set] of from.codes) for (const v of set) out.put(out.codes, k, v);
    }
    return out;
  }
}

const uuidOnly = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a route's answers are a collection of: the last literal segment of its path. */
const collectionOf = (route: Route) =>
  route.path
    .split('/')
    .filter((s) => s && !s.startsWith('{'))
    .pop() ?? '';

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
  /** The world's ids with theirs: a path parameter finds their own records by its name. */
  readonly pool: Pool;
  /** The statuses each writing route answered while seeding them. */
  readonly outcomes: ReadonlyMap<string, readonly number[]>;
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

const withoutParams = (r: Route) => paramNames(r).length === 0;
const writes = (r: Route) => r.method !== 'GET' && r.method !== 'DELETE' && !!r.schemas.body;

/**
 * Signed-in routes without path parameters that read (GET): what a person (or, for `admin`, an
 * administrator) can list. A required query (a `near` point, a search) is generated.
 */
export const readers = (access: 'user' | 'admin' = 'user') =>
  allRoutes.filter(
    (r) => r.method === 'GET' && withoutParams(r) && (r.access === 'user' || r.access === access),
  );

/** Signed-in routes without path parameters that write (POST, PUT, PATCH with a body). */
export const writers = (access: 'user' | 'admin' = 'user'): Route[] =>
  allRoutes.filter((r) => r.access === access && writes(r) && withoutParams(r));

/**
 * What a person sets before anything else: PUT routes whose every path parameter is one of a
 * fixed list (`PUT /me/consents/{type}`), each value once.
 */
export const setters = (): Route[] =>
  allRoutes.filter((r) => {
    if (r.access !== 'user' || r.method !== 'PUT' || withoutParams(r)) return false;
    const props = jsonSchemaOf(r.schemas.params)?.properties ?? {};
    return paramNames(r).every((n) => Array.isArray(props[n]?.enum));
  });

/** Answers of every reader, in order. */
async function readEach(api: TestApi, token: string, access: 'user' | 'admin', o: ValidOptions = {}) {
  const out: { route: Route; body: unknown }[] = [];
  for (const r of readers(access)) {
    // The whole list when the query may be left out; a generated one when it is required.
    const [req] = jsonSchemaOf(r.schemas.query)?.required?.length ? sampleValid(r, 1, o) : [];
    const answer = await api.request('GET', req?.target ?? r.path, { token });
    // Only data: a problem's `instance` is a fresh request id each time.
    if (answer.status === 200) out.push({ route: r, body: answer.body });
  }
  return out;
}

export async function readAll(api: TestApi, token: string, o: ValidOptions = {}): Promise<string[]> {
  return (await readEach(api, token, 'user', o)).flatMap((a) => uuidsIn(a.body));
}

/** Gives a person every setting of the setters (every consent, for instance). */
export async function prepare(api: TestApi, user: User, o: ValidOptions = {}): Promise<void> {
  for (const route of setters()) {
    const props = jsonSchemaOf(route.schemas.params)?.properties ?? {};
    const names = paramNames(route);
    const combos = names.reduce<Record<string, unknown>[]>(
      (acc, n) => acc.flatMap((c) => (props[n]?.enum ?? []).map((v) => ({ ...c, [n]: v }))),
      [{}],
    );
    const [req] = sampleValid(route, 1, o);
    if (!req) continue;
    for (const params of combos) {
      const target = fillPath(route, params);
      const r = await send(api, { ...req, target }, user.token);
      if (r.status >= 300)
        throw new Error(`${routeKey(route)} ${target} answered ${r.status} while preparing a person`);
    }
  }
}

/**
 * Sends generated requests for each route until one is accepted, in rounds, so that a route
 * needing what another creates (a meal needs a restaurant) succeeds once that one has: every
 * accepted answer teaches the pool. Returns the routes that accepted a request.
 */
async function createThrough(
  api: TestApi,
  token: string,
  routes: readonly Route[],
  pool: Pool,
  o: { marker?: string; tries?: number; seed?: number },
  outcomes?: Map<string, number[]>,
): Promise<Set<string>> {
  const done = new Set<string>();
  for (let round = 0; round < 3; round += 1) {
    let progress = false;
    for (const route of routes) {
      if (done.has(routeKey(route))) continue;
      const candidates = sampleValid(route, o.tries ?? 8, {
        ...(o.marker ? { marker: o.marker } : {}),
        idsFor: pool.idsFor,
        codesFor: pool.codesFor,
        seed: (o.seed ?? 42) + round,
      });
      for (const req of candidates) {
        const r = await send(api, req, token);
        outcomes?.set(routeKey(route), [...(outcomes.get(routeKey(route)) ?? []), r.status]);
        if (r.status < 300) {
          pool.learn(r.body, collectionOf(route));
          done.add(routeKey(route));
          progress = true;
          break;
        }
      }
    }
    if (!progress || done.size === routes.length) break;
  }
  return done;
}

/** The catalogue and references every person shares, made by an administrator through the routes. */
export interface World {
  readonly admin: User;
  readonly pool: Pool;
  /** `METHOD /path` of the administrators' routes that accepted a generated request. */
  readonly seeded: ReadonlySet<string>;
}

/**
 * An administrator reads every list (references, vocabularies), creates through every creating
 * admin route (restaurants, then meals at them, ingredients), links what the linking routes link
 * (PUT routes whose parameters name those records), and reads again.
 */
export async function seedWorld(api: TestApi): Promise<World> {
  const admin = await createUser(api.db, { role: 'admin' });
  const pool = new Pool();
  await prepare(api, admin);
  for (const a of await readEach(api, admin.token, 'admin')) pool.learn(a.body, collectionOf(a.route));
  const creating = writers('admin');
  const linking = allRoutes.filter((r) => r.access === 'admin' && r.method === 'PUT' && !withoutParams(r));
  const seeded = await createThrough(api, admin.token, [...creating, ...linking], pool, { tries: 12 });
  for (const a of await readEach(api, admin.token, 'admin', { idsFor: pool.idsFor, codesFor: pool.codesFor }))
    pool.learn(a.body, collectionOf(a.route));
  return { admin, pool, seeded };
}

/**
 * Makes a person and gives them data through every writing route: bodies generated from the
 * route's schema, ids and codes drawn from what the world's answers named, free strings carrying
 * the person's marker. Each route gets up to `tries` bodies until one is accepted.
 */
export async function seedPerson(
  api: TestApi,
  world: World,
  options: { tries?: number; seed?: number } = {},
): Promise<Person> {
  const user = await createUser(api.db);
  const marker = `zq${randomBytes(8).toString('hex')}`;
  const o = { idsFor: world.pool.idsFor, codesFor: world.pool.codesFor };
  await prepare(api, user, o);
  const before = new Set(await readAll(api, user.token, o));
  const references = [...new Set([...before, ...world.pool.all()])].filter(
    (id) => id !== user.id && id !== user.sessionId,
  );
  const mine = new Pool();
  const outcomes = new Map<string, number[]>();
  const done = await createThrough(
    api,
    user.token,
    writers(),
    world.pool.with(mine),
    { marker, tries: options.tries ?? 8, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
    outcomes,
  );
  const answers = await readEach(api, user.token, 'user', o);
  for (const a of answers) mine.learn(a.body, collectionOf(a.route));
  const after = answers.flatMap((a) => uuidsIn(a.body));
  const own = new Set([
    user.id,
    user.sessionId,
    ...after.filter((id) => !before.has(id) && !world.pool.all().includes(id)),
  ]);
  return {
    ...user,
    marker,
    own: [...own],
    references,
    wrote: done.size,
    outcomes,
    pool: mine.with(world.pool),
  };
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

/** A token for the user's live session, signed and dated by the caller. */
const unsigned = (u: User, extra: Record<string, unknown> = {}) =>
  new SignJWT({ ...claims(u), ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(u.id)
    .setIssuer('eatsential')
    .setAudience('eatsential-api');

/** Each way an access token can be wrong, made for a real user with a live session. */
export const badTokens: Record<string, (u: User) => Promise<string>> = {
  expired: (u) =>
    unsigned(u)
      .setIssuedAt(now() - 3600)
      .setExpirationTime(now() - 1800)
      .sign(key),
  'wrong key': (u) =>
    unsigned(u)
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
  'no exp': (u) => unsigned(u).setIssuedAt().sign(key),
};

/** A token signed with the right key for a person whose role is user, but claiming admin. */
export const adminClaim = (u: User) =>
  unsigned(u, { role: 'admin' }).setIssuedAt().setExpirationTime('5m').sign(key);
