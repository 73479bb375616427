/**
 * `npm run bench -- recommendations` (and the end of `npm run bench`): over a generated catalogue of
 * 10,000 restaurants, 100,000 meals and about a million meal-ingredient links (written with COPY),
 * for people with five allergies (one severe) and two diets: GET /me/recommendations at
 * concurrency 8 and GET /restaurants?near= at 16, each through the local server (the real handler
 * chain, in its own process) beside the same work run directly through postgres.js in the same
 * transaction shape (bench/direct.ts). Prints req/s, p50, p99, the ratio, the server-side p50 and
 * p99 (the handler's own duration, from audit.access_logs), statements and round trips per request
 * (bench/wire.ts), the query plan's use of the GiST index and the filter's execution time for
 * every person (auto_explain, server-side, little moved by a busy machine); then GET
 * /me/recommendations one request at a time, whose server-side figures are what a request costs
 * when it waits for no other. Never fails on the figures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { createSql, transaction, type Sql, type Tx } from '../functions/core/db';
import type { Caller } from '../functions/core/tokens';
import { boxesAround, candidateStatement } from '../functions/recommendations/queries';
import { migrate } from '../sql/migrator';
import { sameSql } from './direct';
import { figures, load, printTable, serverSide } from './load';
import { perCall, startWire } from './wire';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
/** GET /restaurants?near= runs at 16, as issue 12 has every path but recommendations. */
const nearbyConcurrency = Number(process.env.BENCH_NEARBY_CONCURRENCY ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const restaurants = 10_000;
const mealsPerRestaurant = 10;
const linksPerMeal = 10;
const ingredientCount = 600;
const people = 40;
/** The people's maximum distance (their saved preference). */
const maxKm = 5;
/** A metropolitan area of about 67 x 68 km around Seattle. */
const area = { south: 47.3, north: 47.9, west: -122.7, east: -121.8 };

const allergens = [
  'Peanuts',
  'Tree Nuts',
  'Milk',
  'Eggs',
  'Wheat',
  'Cereals containing gluten',
  'Soy',
  'Fish',
  'Shellfish',
  'Sesame',
  'Mustard',
  'Celery',
];
const traits = ['meat', 'pork', 'poultry', 'fish', 'dairy', 'egg', 'grain', 'legume', 'refined_sugar'];
const cuisines = ['Thai', 'Italian', 'Mexican', 'Indian', 'Japanese', 'Greek', 'American', 'Healthy'];

const rnd = Math.random;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const between = (a: number, b: number) => a + rnd() * (b - a);

/** COPY rows into a table from a generator of tab-separated lines. */
async function copy(sql: Sql, table: string, columns: string, rows: () => Generator<string>) {
  const writable = await sql.unsafe(`copy ${table} (${columns}) from stdin`).writable();
  await pipeline(
    Readable.from(
      (function* () {
        let chunk = '';
        for (const line of rows()) {
          chunk += `${line}\n`;
          if (chunk.length > 1 << 16) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      })(),
    ),
    writable,
  );
}

export async function generate(owner: Sql) {
  const t = performance.now();
  const allergenIds = new Map(
    (await owner<{ id: string; name: string }[]>`select id, name from health.allergens`).map((a) => [
      a.name,
      a.id,
    ]),
  );
  const ingredientIds = Array.from({ length: ingredientCount }, () => randomUUID());
  await copy(owner, 'public.ingredients', 'id, name, allergen_id, diet_traits', function* () {
    for (const [i, id] of ingredientIds.entries()) {
      const allergen = rnd() < 0.3 ? allergenIds.get(pick(allergens)) : '\\N';
      const classified = rnd() < 0.9;
      const t = classified ? `{${rnd() < 0.4 ? pick(traits) : ''}}` : '\\N';
      yield `${id}\tbench ingredient ${i}\t${allergen}\t${t}`;
    }
  });
  const restaurantIds = Array.from({ length: restaurants }, () => randomUUID());
  await copy(
    owner,
    'public.restaurants',
    'id, name, cuisine_type, address, city, state, zip_code, latitude, longitude, price_range, is_active',
    function* () {
      for (const [i, id] of restaurantIds.entries()) {
        yield [
          id,
          `Bench ${i}`,
          pick(cuisines),
          `${i} Bench St`,
          'Seattle',
          'WA',
          '98101',
          between(area.south, area.north).toFixed(6),
          between(area.west, area.east).toFixed(6),
          1 + Math.floor(rnd() * 4),
          rnd() < 0.98 ? 't' : 'f',
        ].join('\t');
      }
    },
  );
  const mealIds: string[] = [];
  await copy(
    owner,
    'public.meals',
    'id, restaurant_id, name, price, calories, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, is_available, ingredients_complete, certifications',
    function* () {
      for (const r of restaurantIds) {
        for (let j = 0; j < mealsPerRestaurant; j += 1) {
          const id = randomUUID();
          mealIds.push(id);
          yield [
            id,
            r,
            `Meal ${j}`,
            between(6, 40).toFixed(2),
            Math.round(between(200, 1400)),
            between(5, 60).toFixed(1),
            between(5, 120).toFixed(1),
            between(5, 60).toFixed(1),
            between(0, 15).toFixed(1),
            Math.round(between(100, 2000)),
            rnd() < 0.95 ? 't' : 'f',
            rnd() < 0.8 ? 't' : 'f',
            rnd() < 0.15 ? '{halal}' : rnd() < 0.1 ? '{kosher}' : '{}',
          ].join('\t');
        }
      }
    },
  );
  await copy(owner, 'public.meal_ingredients', 'meal_id, ingredient_id, presence', function* () {
    for (const m of mealIds) {
      const chosen = new Set<number>();
      while (chosen.size < linksPerMeal) chosen.add(Math.floor(rnd() * ingredientCount));
      for (const i of chosen) yield `${m}\t${ingredientIds[i]}\t${rnd() < 0.1 ? 'may_contain' : 'contains'}`;
    }
  });
  await owner`
    insert into health.food_tags (food_id, tag_id, confidence_score, source, verified)
    select m.id, t.id, round((0.5 + random() / 2)::numeric, 2), 'database_import', random() < 0.5
    from public.meals m cross join lateral (
      select id from health.health_tags where tag_name in ('#StressRelief', '#SleepAid', '#MoodBoost')
      order by random() + (m.id::text > '') :: int limit 1
    ) t
    where random() < 0.1`;
  await owner`analyze`;
  const [counts] = await owner<{ r: number; m: number; l: number }[]>`
    select (select count(*)::int from public.restaurants) as r, (select count(*)::int from public.meals) as m,
           (select count(*)::int from public.meal_ingredients) as l`;
  console.log(
    `catalogue: ${counts?.r} restaurants, ${counts?.m} meals, ${counts?.l} meal-ingredient links in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

/** People with five allergies (one severe) and two diets, a profile, preferences; half consent to mental-health tracking. */
export async function makePeople(owner: Sql) {
  const made: { id: string; sessionId: string; lat: number; lon: number }[] = [];
  const dietPairs = [
    ['vegetarian', 'gluten_free'],
    ['keto', 'halal'],
    ['vegan', 'kosher'],
    ['paleo', 'gluten_free'],
  ];
  for (let i = 0; i < people; i += 1) {
    const [user] = await owner<{ id: string }[]>`
      insert into public.users (username, email, password_hash, is_email_verified)
      values (${`bench_${i}`}, ${`bench_${i}@example.com`}, 'scrypt$unusable', true) returning id`;
    const id = user!.id;
    const [session] = await owner<{ id: string }[]>`
      insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
      values (${id}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
    const [profile] = await owner<{ id: string }[]>`
      insert into public.health_profiles (user_id, height_cm, weight_kg, date_of_birth, gender, activity_level)
      values (${id}, 170, 70, '1988-05-05', ${i % 2 ? 'male' : 'female'}, 'moderate') returning id`;
    const five = [...allergens].sort(() => rnd() - 0.5).slice(0, 5);
    for (const [k, name] of five.entries())
      await owner`
        insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity)
        select ${id}, ${profile!.id}, id, ${k === 0 ? 'SEVERE' : pick(['MILD', 'MODERATE'])}
        from health.allergens where name = ${name}`;
    for (const diet of dietPairs[i % dietPairs.length] as string[])
      await owner`
        insert into public.user_dietary_restrictions (user_id, health_profile_id, restriction_id)
        select ${id}, ${profile!.id}, id from health.dietary_restrictions_ref where name = ${diet}`;
    await owner`
      insert into public.user_preferences (user_id, cuisines, price_range, max_distance_km)
      values (${id}, ${[pick(cuisines), pick(cuisines)]}, 3, ${maxKm})`;
    if (i % 2 === 0) {
      await owner`
        insert into public.user_consents (user_id, consent_type, policy_version)
        values (${id}, 'mental_health_tracking', 'bench')`;
      await owner`
        insert into health.stress_logs (user_id, stress_level, stress_label, logged_at)
        select ${id}, 8, 'high', now() - make_interval(days => g) from generate_series(1, 5) g`;
    }
    made.push({
      id,
      sessionId: session!.id,
      lat: between(area.south + 0.1, area.north - 0.1),
      lon: between(area.west + 0.1, area.east - 0.1),
    });
  }
  return made;
}

type Server = { url: string; stop: () => Promise<void> };

/** GET `path` on the server as the holder of `token`; rejects on any status but 200. */
function get(agent: Agent, url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${url} answered ${res.statusCode}: ${body.slice(0, 200)}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One path, through the API and directly, in one run at the same concurrency: the API's figures,
 * the direct ones, the ratio, the server-side percentiles, then statements and round trips per
 * request on the wire (one request at a time over one connection through a counting relay).
 */
async function compare(o: {
  title: string;
  endpoint: string;
  url: string;
  owner: Sql;
  concurrency: number;
  seconds: number;
  startServer: (env?: Record<string, string>) => Promise<Server>;
  /** The next request: its path and query, the holder's token and caller. */
  next: () => { path: string; token: string; caller: Caller };
  /** The same work, run directly in the request's transaction. */
  direct: (tx: Tx, path: string, caller: Caller) => Promise<unknown>;
}) {
  const server = await o.startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const viaApi = async () => {
    const n = o.next();
    await get(agent, `${server.url}${n.path}`, n.token);
  };
  const sql = createSql({ url: o.url }, { max: o.concurrency });
  const viaSql = async () => {
    const n = o.next();
    await sameSql(sql, n.caller, o.endpoint, (tx) => o.direct(tx, n.path, n.caller));
  };
  await load(o.concurrency, 2, viaApi); // warm-up
  await load(o.concurrency, 2, viaSql);
  const started = new Date();
  const api = figures(
    'API: local server -> handler chain -> SQL',
    await load(o.concurrency, o.seconds, viaApi),
    o.seconds,
  );
  const side = `server-side (handler duration, audit.access_logs): ${await serverSide(o.owner, o.endpoint, 'GET', started)}`;
  const direct = figures(
    'direct: the same SQL through postgres.js',
    await load(o.concurrency, o.seconds, viaSql),
    o.seconds,
  );
  agent.destroy();
  await server.stop();
  await sql.end();

  const wire = await startWire(o.url);
  const counted = await o.startServer({ DATABASE_URL: wire.url, DB_POOL_MAX: '1' });
  const one = new Agent({ keepAlive: true, maxSockets: 1 });
  const wired = createSql({ url: wire.url }, { max: 1 });
  const apiOnce = async () => {
    const n = o.next();
    await get(one, `${counted.url}${n.path}`, n.token);
  };
  const sqlOnce = async () => {
    const n = o.next();
    await sameSql(wired, n.caller, o.endpoint, (tx) => o.direct(tx, n.path, n.caller));
  };
  await apiOnce();
  await sqlOnce();
  const apiWire = await perCall(wire, 20, apiOnce);
  const sqlWire = await perCall(wire, 20, sqlOnce);
  one.destroy();
  await counted.stop();
  await wired.end();
  await wire.close();

  console.log(`${o.title}, concurrency ${o.concurrency}, ${o.seconds} s each`);
  printTable([api, direct]);
  console.log(`ratio API/direct: ${(api.perSecond / direct.perSecond).toFixed(2)}`);
  console.log(side);
  console.log(
    `per request on the wire: API ${apiWire.statements} statements in ${apiWire.roundTrips} round trips; direct ${sqlWire.statements} in ${sqlWire.roundTrips}`,
  );
}

/**
 * GET /me/recommendations one request at a time: the server-side time of a request that waits for
 * no other. At concurrency 8 on a machine of few cores, with the load generator and PostgreSQL on
 * the same cores, a request mostly waits its turn for a core; this says what one costs.
 */
async function alone(o: {
  owner: Sql;
  startServer: (env?: Record<string, string>) => Promise<Server>;
  seconds: number;
  next: () => { path: string; token: string; caller: Caller };
}) {
  const server = await o.startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = async () => {
    const n = o.next();
    await get(agent, `${server.url}${n.path}`, n.token);
  };
  await load(1, 2, once); // warm-up
  const started = new Date();
  const f = figures('API, one request at a time', await load(1, o.seconds, once), o.seconds);
  const side = `server-side (handler duration, audit.access_logs): ${await serverSide(o.owner, '/me/recommendations', 'GET', started)}`;
  agent.destroy();
  await server.stop();
  console.log(`GET /me/recommendations, concurrency 1, ${o.seconds} s`);
  printTable([f]);
  console.log(side);
}

/**
 * Execution time of the filter for each person and its plan, from auto_explain (server-side,
 * little moved by load): the filter is a PL/pgSQL function, so the plan is the nested statement's,
 * made once per connection and kept (no planning time per request).
 */
async function explained(url: string, persons: readonly { id: string; lat: number; lon: number }[]) {
  const notices: string[] = [];
  const sql = postgres(url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
  await sql`load 'auto_explain'`;
  for (const setting of [
    'set auto_explain.log_min_duration = 0',
    'set auto_explain.log_level = notice',
    'set auto_explain.log_analyze = on',
    'set auto_explain.log_timing = off',
    'set auto_explain.log_nested_statements = on',
  ])
    await sql.unsafe(setting);
  const execution: number[] = [];
  let plan: string[] = [];
  for (const p of persons) {
    notices.length = 0;
    await transaction(sql as unknown as Sql, { role: 'eatsential_write', userId: p.id }, async (tx) => {
      const c = {
        userId: p.id,
        lat: p.lat,
        lon: p.lon,
        boxes: boxesAround(p.lat, p.lon, maxKm),
        maxKm,
        withWellnessTags: true,
      };
      await tx`${candidateStatement(tx, c)}`;
    });
    const inner = notices.find((n) => n.includes('with recursive'));
    if (!inner) continue;
    execution.push(Number(/duration: ([\d.]+) ms/.exec(inner)?.[1] ?? NaN));
    if (plan.length === 0) plan = inner.split('\n');
  }
  await sql.end();
  const scan = plan.filter((l) =>
    /meal_facts_location_idx|Index Cond: .*location|Heap Blocks|Bitmap/.test(l),
  );
  console.log('query plan of the filter, the nearby scan (GiST index meal_facts_location_idx):');
  for (const l of scan) console.log(`  ${l.trim()}`);
  if (!plan.some((l) => l.includes('meal_facts_location_idx')))
    console.log('  WARNING: the plan does not use meal_facts_location_idx');
  const s = [...execution].sort((a, b) => a - b);
  console.log(
    `the filter's execution for ${s.length} people (auto_explain): p50 ${s[Math.floor(s.length / 2)]?.toFixed(2)} ms, max ${s[s.length - 1]?.toFixed(2)} ms; planned once per connection`,
  );
}

export async function benchRecommendations(
  url: string,
  startServer: (env?: Record<string, string>) => Promise<Server>,
) {
  Object.assign(process.env, {
    DATABASE_URL: url,
    // Kept when set: after GET /me in the same process the token module holds that secret.
    JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(48).toString('base64url'),
    DB_POOL_MAX: String(concurrency),
    LOG_LEVEL: 'SILENT',
  });
  const owner = createSql({ url }, { max: 4 });
  await migrate(owner);
  await owner`set session_replication_role = replica`; // generated rows are consistent: skip FK triggers
  await generate(owner);
  await owner`set session_replication_role = origin`;
  // The load skipped the triggers: derive public.meal_facts once, as the migration does.
  const t = performance.now();
  await owner`select public.refresh_meal_facts(array(select id from public.meals))`;
  await owner`analyze public.meal_facts`;
  console.log(`meal_facts for every meal in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const persons = await makePeople(owner);
  const { signAccessToken } = await import('../functions/core/tokens');
  const callers: Caller[] = persons.map((p) => ({ userId: p.id, role: 'user', sessionId: p.sessionId }));
  const tokens = await Promise.all(callers.map((c) => signAccessToken(c)));
  console.log(
    `PostgreSQL ${(await owner`show server_version`)[0]?.server_version}, ${people} people, max distance ${maxKm} km; the machine may be shared: compare figures of one run`,
  );

  await explained(url, persons);

  // One sample answer, to show what a page holds.
  const one = persons[0]!;
  const server = await startServer();
  const agent = new Agent({ keepAlive: true });
  const s = JSON.parse(
    await get(
      agent,
      `${server.url}/me/recommendations?near=${one.lat.toFixed(5)},${one.lon.toFixed(5)}&meal=lunch`,
      tokens[0]!,
    ),
  ) as {
    items: unknown[];
    left_out: { considered: number; hidden: number; reasons: { sentence: string }[] };
  };
  console.log(
    `a page: ${s.items.length} items of ${s.left_out.considered} meals within ${maxKm} km, ${s.left_out.hidden} hidden; ${s.left_out.reasons
      .slice(0, 3)
      .map((r) => r.sentence)
      .join('; ')}`,
  );
  agent.destroy();
  await server.stop();

  const { operations: recommendations } = await import('../functions/recommendations/operations');
  const { recommendationsQuery } = await import('../functions/recommendations/schemas');
  const { operations: catalogue } = await import('../functions/catalogue/operations');
  const { restaurantsQuery } = await import('../functions/catalogue/schemas');
  const queryOf = (path: string) => Object.fromEntries(new URL(path, 'http://x').searchParams);
  const meals = ['breakfast', 'lunch', 'dinner', 'snack'];
  const someone = (path: (p: (typeof persons)[number]) => string) => () => {
    const i = Math.floor(rnd() * persons.length);
    return { path: path(persons[i]!), token: tokens[i]!, caller: callers[i]! };
  };
  const around = (p: { lat: number; lon: number }) =>
    `${(p.lat + between(-0.02, 0.02)).toFixed(5)},${(p.lon + between(-0.02, 0.02)).toFixed(5)}`;
  const input = (tx: Tx, caller: Caller, query: unknown) =>
    ({
      tx,
      caller,
      query,
      params: undefined,
      body: undefined,
      sql: owner,
      request: { id: randomUUID(), ip: null, userAgent: 'bench', ifMatch: null },
    }) as never;

  await compare({
    title: 'GET /me/recommendations',
    endpoint: '/me/recommendations',
    url,
    owner,
    concurrency,
    seconds,
    startServer,
    next: someone((p) => `/me/recommendations?near=${around(p)}&meal=${pick(meals)}&limit=10`),
    direct: (tx, path, caller) =>
      recommendations.listRecommendations(input(tx, caller, recommendationsQuery.parse(queryOf(path)))),
  });
  console.log('(goal: server-side p99 under 30 ms)');
  await alone({
    owner,
    startServer,
    seconds,
    next: someone((p) => `/me/recommendations?near=${around(p)}&meal=${pick(meals)}&limit=10`),
  });

  await compare({
    title: 'GET /restaurants?near= (5 km, 20 a page)',
    endpoint: '/restaurants',
    url,
    owner,
    concurrency: nearbyConcurrency,
    seconds,
    startServer,
    next: someone((p) => `/restaurants?near=${around(p)}&radius_km=5&limit=20`),
    direct: (tx, path, caller) =>
      catalogue.listNearbyRestaurants(input(tx, caller, restaurantsQuery.parse(queryOf(path)))),
  });

  await owner.end();
}

export async function withBenchDatabase(base: string, run: (url: string) => Promise<void>) {
  const name = `eatsential_bench_${randomBytes(3).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    await run(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
