/**
 * `npm run bench -- recommendations`: GET /me/recommendations over a generated catalogue of
 * 10,000 restaurants, 100,000 meals and about a million meal-ingredient links (written with COPY),
 * for people with five allergies (one severe) and two diets, at concurrency 8 through the local
 * server. Prints the server-side p50 and p99 (the handler's own duration, from audit.access_logs),
 * the round trip, and the query plan's use of the GiST index. Never fails on the figures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { createSql, transaction, type Sql } from '../functions/core/db';
import { boxesAround, candidateStatement } from '../functions/recommendations/queries';
import { migrate } from '../sql/migrator';
import { figures, load, printTable } from './load';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
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

export async function benchRecommendations(
  url: string,
  startServer: () => Promise<{ url: string; stop: () => Promise<void> }>,
) {
  Object.assign(process.env, {
    DATABASE_URL: url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
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
  const tokens = await Promise.all(
    persons.map((p) => signAccessToken({ userId: p.id, role: 'user', sessionId: p.sessionId })),
  );

  // The plan of the hard-filter statement for one person, as the API runs it.
  const one = persons[0]!;
  const plan = await transaction(owner, { role: 'eatsential_write', userId: one.id }, async (tx) => {
    const c = {
      userId: one.id,
      lat: one.lat,
      lon: one.lon,
      boxes: boxesAround(one.lat, one.lon, maxKm),
      maxKm,
      withWellnessTags: false,
    };
    const rows = await tx<{ 'QUERY PLAN': string }[]>`
      explain (analyze, costs off, timing off) ${candidateStatement(tx, c)}`;
    return rows.map((r) => r['QUERY PLAN']);
  });
  const gist = plan.filter((l) => /idx_restaurants_location|Index Cond: .*location|Bitmap/.test(l));
  console.log('query plan, the restaurant scan (GiST index idx_restaurants_location):');
  for (const l of gist) console.log(`  ${l.trim()}`);
  console.log(`  ${plan.find((l) => /Execution Time/.test(l))?.trim() ?? ''}`);
  if (!plan.some((l) => l.includes('idx_restaurants_location')))
    console.log('  WARNING: the plan does not use idx_restaurants_location');

  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const meals = ['breakfast', 'lunch', 'dinner', 'snack'];
  let failures = 0;
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const i = Math.floor(rnd() * persons.length);
      const p = persons[i]!;
      const lat = (p.lat + between(-0.02, 0.02)).toFixed(5);
      const lon = (p.lon + between(-0.02, 0.02)).toFixed(5);
      const req = request(
        `${server.url}/me/recommendations?near=${lat},${lon}&meal=${pick(meals)}&limit=10`,
        { agent, headers: { authorization: `Bearer ${tokens[i]}` } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              failures += 1;
              reject(new Error(`GET /me/recommendations answered ${res.statusCode}: ${body.slice(0, 200)}`));
            } else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end();
    });

  // One sample answer, to show what a page holds.
  const sample = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${server.url}/me/recommendations?near=${one.lat.toFixed(5)},${one.lon.toFixed(5)}&meal=lunch`,
      { agent, headers: { authorization: `Bearer ${tokens[0]}` } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
  const s = JSON.parse(sample) as {
    items: unknown[];
    left_out: { considered: number; hidden: number; reasons: { sentence: string }[] };
  };
  console.log(
    `a page: ${s.items.length} items of ${s.left_out.considered} meals within ${maxKm} km, ${s.left_out.hidden} hidden; ${s.left_out.reasons
      .slice(0, 3)
      .map((r) => r.sentence)
      .join('; ')}`,
  );

  await load(concurrency, 2, call); // warm-up
  const started = new Date();
  const client = figures(
    'round trip: HTTP -> local server -> SQL',
    await load(concurrency, seconds, call),
    seconds,
  );
  const [server50] = await owner<{ n: number; p50: number; p99: number }[]>`
    select count(*)::int as n,
           percentile_cont(0.5) within group (order by response_time_ms)::float8 as p50,
           percentile_cont(0.99) within group (order by response_time_ms)::float8 as p99
    from audit.access_logs
    where endpoint = '/me/recommendations' and method = 'GET' and accessed_at >= ${started}`;
  console.log(
    `GET /me/recommendations, concurrency ${concurrency}, ${seconds} s, PostgreSQL ${(await owner`show server_version`)[0]?.server_version}, ${people} people, max distance ${maxKm} km`,
  );
  printTable([client]);
  console.log(
    `server-side (handler duration, audit.access_logs): ${server50?.n} requests, p50 ${server50?.p50.toFixed(1)} ms, p99 ${server50?.p99.toFixed(1)} ms (goal: p99 under 30 ms)`,
  );
  if (failures > 0) console.log(`failures: ${failures}`);

  agent.destroy();
  await server.stop();
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
