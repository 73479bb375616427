/**
 * Realistic data for the benchmarks: the design doc's year-one volumes (Appendix A) times a scale,
 * written by COPY into the database of DATABASE_URL (`npm run bench:data -- --scale 0.1`).
 *
 * What is generated, per scale 1 (Appendix A's daily growth times 365):
 *
 * | table | rows | how |
 * | --- | --- | --- |
 * | users | 365,000 | signed up over the last year, 95 % verified, 1 % deleted (awaiting the purge); a few early testers two years ago |
 * | health_profiles | 328,500 | verified users, born 1950-2010 |
 * | user_allergies | 730,000 | 0-6 distinct allergens on profiled users, a fifth with sealed reaction notes |
 * | restaurants / meals | 20,000 / ~240,000 | not in Appendix A: 20 cities, 12 meals a restaurant, 3-8 ingredients each |
 * | food_tags | 365,000 | health tags on meals |
 * | mood / stress / sleep logs | 3.65 M / 2.92 M / 1.83 M | half the users consent; a thousandth of them log daily for two years, the others rarely (Pareto) |
 * | mental_wellness_goals / ai_chat_sessions | 182,500 / 730,000 | consenting users |
 * | recommendations | 18.25 M | 5-10 per request, weighted by activity |
 * | audit.access_logs | 36.5 M | one a request over the last year, in monthly partitions |
 *
 * Rows are written with triggers off (`session_replication_role = replica`): the per-row checks
 * (time zones against pg_timezone_names, 60 ms a row) would take hours. What the triggers derive or
 * enforce is done here instead and checked afterwards, set-wise (`verify`): local_date is the date
 * of logged_at in the person's time zone, meal_facts comes from public.refresh_meal_facts (the
 * function the triggers call), time zones and stress codes are known, health profiles belong to
 * verified users at least 13 years old, mental-wellness rows to people with an active consent, and
 * every reference points at a row. CHECK constraints apply as always. The row-level audit of
 * audit.data_changes is not written: it would double every user-owned table. Ciphertext columns
 * hold notes sealed by functions/core/notes.ts with NOTE_KEYRING (or the bench keyring below).
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createSql, type Sql, type Tx } from '../functions/core/db';
import { parseKeyring, seal, type Keyring } from '../functions/core/notes';
import { migrate } from '../sql/migrator';

/** A keyring for generated data only: its key is public, so nothing real may be sealed with it. */
export const benchKeyring = JSON.stringify({ current: '1', key_1: 'be'.repeat(32) });

const day = 86_400_000;

/** Appendix A's daily growth: year one is 365 of them. */
export const perDay = {
  users: 1000,
  health_profiles: 900,
  user_allergies: 2000,
  recommendations: 50_000,
  access_logs: 100_000,
  mental_wellness_goals: 500,
  mood_logs: 10_000,
  stress_logs: 8000,
  sleep_logs: 5000,
  food_tags: 1000,
  ai_chat_sessions: 2000,
} as const;

/** Restaurants are not in Appendix A: 20,000 at scale 1, about 12 meals each. */
const restaurantsPerScale = 20_000;

/** Seeded generator (mulberry32): the same scale and seed give the same data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const hex = (n: number) => {
    let s = '';
    while (s.length < n)
      s += Math.floor(next() * 4294967296)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  };
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
  };
  return { next, int, pick, uuid };
}
type Rng = ReturnType<typeof prng>;

/** COPY text format: NULL, escapes, arrays, bytea. */
const N = '\\N';
const text = (v: string | null | undefined) =>
  v === null || v === undefined
    ? N
    : v.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      );
const bytea = (b: Buffer | null) => (b ? `\\\\x${b.toString('hex')}` : N);
const array = (xs: readonly string[] | null) => (xs ? `{${xs.join(',')}}` : N);
const iso = (ms: number) => new Date(ms).toISOString();
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let progress: (line: string) => void = () => undefined;

/** Writes `lines` (COPY text rows, without the newline) into `table` through COPY FROM STDIN. */
async function copy(
  tx: Tx,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
): Promise<number> {
  const t = performance.now();
  const writable = await tx.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  let n = 0;
  let chunk: string[] = [];
  let size = 0;
  const flush = async () => {
    if (!chunk.length) return;
    const ok = writable.write(`${chunk.join('\n')}\n`);
    chunk = [];
    size = 0;
    if (!ok) await once(writable, 'drain');
  };
  for (const line of lines) {
    chunk.push(line);
    size += line.length;
    n++;
    if (size > 1 << 20) await flush();
  }
  await flush();
  writable.end();
  await once(writable, 'finish');
  progress(
    `${table.padEnd(32)} ${String(n).padStart(10)} rows  ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`,
  );
  return n;
}

/**
 * Runs `fn` (the COPY into a large table) with the table's plain indexes dropped, then builds them
 * again from their definitions: one sort per index instead of a random insertion per row. Indexes
 * behind constraints (primary keys, unique constraints) stay.
 */
async function withoutIndexes<T>(tx: Tx, table: string, fn: () => Promise<T>): Promise<T> {
  const indexes = await tx<{ name: string; definition: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where i.indrelid = ${table}::regclass
      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
      and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)`;
  for (const ix of indexes) await tx.unsafe(`drop index ${ix.name}`);
  const value = await fn();
  for (const ix of indexes) await tx.unsafe(ix.definition);
  return value;
}

/** IANA zones people live in (checked against pg_timezone_names once, in `verify`), with a typical offset. */
const zones: readonly (readonly [string, number])[] = [
  ['America/New_York', -5],
  ['America/Chicago', -6],
  ['America/Denver', -7],
  ['America/Los_Angeles', -8],
  ['Europe/London', 0],
  ['Europe/Paris', 1],
  ['Europe/Berlin', 1],
  ['Asia/Tokyo', 9],
  ['Australia/Sydney', 10],
  ['America/Sao_Paulo', -3],
  ['UTC', 0],
];

const cities: readonly (readonly [string, string, string, number, number])[] = [
  ['Seattle', 'WA', 'America/Los_Angeles', 47.61, -122.33],
  ['Portland', 'OR', 'America/Los_Angeles', 45.52, -122.68],
  ['San Francisco', 'CA', 'America/Los_Angeles', 37.77, -122.42],
  ['Los Angeles', 'CA', 'America/Los_Angeles', 34.05, -118.24],
  ['Denver', 'CO', 'America/Denver', 39.74, -104.99],
  ['Chicago', 'IL', 'America/Chicago', 41.88, -87.63],
  ['Austin', 'TX', 'America/Chicago', 30.27, -97.74],
  ['New York', 'NY', 'America/New_York', 40.71, -74.01],
  ['Boston', 'MA', 'America/New_York', 42.36, -71.06],
  ['Miami', 'FL', 'America/New_York', 25.76, -80.19],
  ['Atlanta', 'GA', 'America/New_York', 33.75, -84.39],
  ['Philadelphia', 'PA', 'America/New_York', 39.95, -75.17],
  ['Phoenix', 'AZ', 'America/Phoenix', 33.45, -112.07],
  ['Minneapolis', 'MN', 'America/Chicago', 44.98, -93.27],
  ['Nashville', 'TN', 'America/Chicago', 36.16, -86.78],
  ['San Diego', 'CA', 'America/Los_Angeles', 32.72, -117.16],
  ['Houston', 'TX', 'America/Chicago', 29.76, -95.37],
  ['Detroit', 'MI', 'America/Detroit', 42.33, -83.05],
  ['Salt Lake City', 'UT', 'America/Denver', 40.76, -111.89],
  ['Washington', 'DC', 'America/New_York', 38.91, -77.04],
];
const cuisines = [
  'Japanese',
  'Italian',
  'Mexican',
  'Thai',
  'Indian',
  'American',
  'Healthy',
  'Mediterranean',
  'Chinese',
  'Korean',
  'Vietnamese',
  'French',
];
const hoursChoices = [
  { daily: '11:00-22:00' },
  { 'mon-fri': '07:00-15:00', 'sat-sun': '08:00-14:00' },
  { 'mon-thu': '11:30-22:00', 'fri-sat': '11:30-01:00', sun: '12:00-21:00' },
  { 'tue-sun': '17:00-23:00' },
  { daily: '00:00-24:00' },
];

/** Ingredients: [name, allergen name or null, diet traits or null (unclassified)]. */
const baseIngredients: readonly (readonly [string, string | null, readonly string[] | null])[] = [
  ['Rice', null, ['grain']],
  ['Wheat noodles', 'Wheat', ['grain']],
  ['Wheat flour', 'Wheat', ['grain']],
  ['Barley', 'Cereals containing gluten', ['grain']],
  ['Quinoa', null, ['grain']],
  ['Oats', null, ['grain']],
  ['Egg', 'Eggs', ['egg']],
  ['Milk', 'Milk', ['dairy']],
  ['Butter', 'Milk', ['dairy']],
  ['Cheddar', 'Milk', ['dairy']],
  ['Yoghurt', 'Milk', ['dairy']],
  ['Peanut sauce', 'Peanuts', ['legume']],
  ['Peanuts', 'Peanuts', ['legume']],
  ['Almonds', 'Tree Nuts', []],
  ['Cashews', 'Tree Nuts', []],
  ['Walnuts', 'Tree Nuts', []],
  ['Tofu', 'Soy', ['legume']],
  ['Soy sauce', 'Soy', ['legume', 'grain']],
  ['Miso paste', 'Soy', ['legume']],
  ['Salmon', 'Fish', ['fish']],
  ['Tuna', 'Fish', ['fish']],
  ['Cod', 'Fish', ['fish']],
  ['Shrimp', 'Shellfish', ['shellfish']],
  ['Crab', 'Shellfish', ['shellfish']],
  ['Mussels', 'Molluscs', ['shellfish']],
  ['Squid', 'Molluscs', ['shellfish']],
  ['Sesame seeds', 'Sesame', []],
  ['Tahini', 'Sesame', []],
  ['Mustard', 'Mustard', []],
  ['Celery', 'Celery', []],
  ['Lupin flour', 'Lupin', ['legume']],
  ['White wine', 'Sulphites', ['alcohol']],
  ['Dried apricots', 'Sulphites', []],
  ['Chicken', null, ['meat', 'poultry']],
  ['Turkey', null, ['meat', 'poultry']],
  ['Beef', null, ['meat']],
  ['Pork belly', null, ['meat', 'pork']],
  ['Bacon', null, ['meat', 'pork']],
  ['Lamb', null, ['meat']],
  ['Honey', null, ['honey']],
  ['Gelatin', null, ['gelatin']],
  ['Sugar', null, ['refined_sugar']],
  ['Chickpeas', null, ['legume']],
  ['Lentils', null, ['legume']],
  ['Black beans', null, ['legume']],
  ['Spinach', null, []],
  ['Kale', null, []],
  ['Tomato', null, []],
  ['Onion', null, []],
  ['Garlic', null, []],
  ['Scallions', null, []],
  ['Avocado', null, []],
  ['Cucumber', null, []],
  ['Carrot', null, []],
  ['Bell pepper', null, []],
  ['Broccoli', null, []],
  ['Sweet potato', null, []],
  ['Mushrooms', null, []],
  ['Lime', null, []],
  ['Basil', null, []],
  ['Coriander', null, []],
  ['Ginger', null, []],
  ['Chili', null, []],
  ['Olive oil', null, []],
  ['Coconut milk', null, []],
  ['House sauce', null, null],
  ['Spice blend', null, null],
  ['Dressing', null, null],
];
const mealWords = [
  'Bowl',
  'Salad',
  'Curry',
  'Noodles',
  'Wrap',
  'Plate',
  'Soup',
  'Tacos',
  'Burger',
  'Stir-fry',
  'Risotto',
  'Pasta',
];
const mealAdjectives = [
  'Spicy',
  'Garden',
  'Harvest',
  'Classic',
  'Smoky',
  'Green',
  'Golden',
  'Citrus',
  'Herb',
  'Miso',
  'Sesame',
  'Lemon',
];
const endpoints: readonly (readonly [string, string, number])[] = [
  ['/me', 'GET', 20],
  ['/me/health', 'GET', 12],
  ['/me/recommendations', 'GET', 15],
  ['/restaurants', 'GET', 10],
  ['/restaurants/{id}/meals', 'GET', 8],
  ['/meals/{id}', 'GET', 6],
  ['/me/mood-logs', 'POST', 6],
  ['/me/mood-logs', 'GET', 4],
  ['/me/stress-logs', 'POST', 4],
  ['/me/sleep-logs', 'POST', 3],
  ['/me/insights', 'GET', 3],
  ['/auth/refresh', 'POST', 5],
  ['/auth/login', 'POST', 2],
  ['/me/recommendations/{id}/accept', 'POST', 1],
  ['/me/allergies', 'GET', 1],
];
const endpointWeights = endpoints.reduce<number[]>((acc, [, , w]) => [...acc, (acc.at(-1) ?? 0) + w], []);
const userAgents = [
  'Eatsential/3.2 (iOS 18.1)',
  'Eatsential/3.2 (Android 15)',
  'Eatsential/3.1 (iOS 17.6)',
  'Mozilla/5.0 (Macintosh)',
];
const contexts = ['work', 'home', 'study', 'exercise', 'social', 'outdoors', 'travel', null, null];
const moodNotes = [
  'Calmer after a walk',
  'Long day at work',
  'Slept badly, tired',
  'Good talk with a friend',
  'Anxious before the meeting',
];
const triggerCodes = [
  'work',
  'study',
  'finances',
  'relationships',
  'family',
  'health',
  'sleep',
  'commute',
  'deadlines',
  'news',
];
const copingCodes = ['exercise', 'walk', 'meditation', 'breathing', 'talking', 'journaling', 'music', 'rest'];
const reasonCodes = [
  'calorie_fit',
  'protein',
  'fibre',
  'cuisine_preference',
  'distance',
  'restaurant_well_rated',
];

interface Person {
  readonly idx: number;
  readonly id: string;
  readonly zone: string;
  readonly offset: number;
  readonly createdAt: number;
  readonly verified: boolean;
  readonly deleted: boolean;
  profileId: string | null;
  /** Gave the mental_health_tracking consent. */
  tracking: boolean;
  /** Logs daily for two years. */
  daily: boolean;
  /** Days logged (mood, stress, sleep). */
  logDays: number;
  /** Relative activity: how many requests, recommendations and chats. */
  weight: number;
}

/** The date of an instant in a zone, cached per quarter hour and zone. */
function localDates() {
  const formats = new Map<string, Intl.DateTimeFormat>();
  const cache = new Map<string, string>();
  return (ms: number, zone: string) => {
    const key = `${zone}|${Math.floor(ms / 900_000)}`;
    let v = cache.get(key);
    if (v === undefined) {
      let f = formats.get(zone);
      if (!f)
        formats.set(
          zone,
          (f = new Intl.DateTimeFormat('en-CA', {
            timeZone: zone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
          })),
        );
      v = f.format(ms);
      cache.set(key, v);
    }
    return v;
  };
}

export interface GenerateOptions {
  readonly scale: number;
  readonly seed?: number;
  /** Instant the data ends at (default now). */
  readonly now?: Date;
  readonly log?: (line: string) => void;
  /** NOTE_KEYRING JSON the ciphertext columns are sealed with (default: benchKeyring). */
  readonly keyring?: string;
}

export interface Generated {
  readonly rows: Record<string, number>;
  readonly seconds: number;
  /** People who logged daily for two years: the insights bench reads one of them. */
  readonly dailyLoggers: readonly string[];
}

/**
 * Fills the (migrated, empty) database of `sql` with generated data. Everything is one
 * transaction: it is all there or nothing is.
 */
export async function generate(sql: Sql, options: GenerateOptions): Promise<Generated> {
  const t0 = performance.now();
  const scale = options.scale;
  const log = options.log ?? (() => undefined);
  progress = log;
  const rng = prng(options.seed ?? 12);
  const keyring: Keyring = parseKeyring(options.keyring ?? benchKeyring);
  const now = (options.now ?? new Date()).getTime();
  const today = Math.floor(now / day) * day;
  const year = (n: number) => Math.max(1, Math.round(n * 365 * scale));
  const localDate = localDates();
  const rows: Record<string, number> = {};
  const sealed = (text: string, table: string, column: string, userId: string) =>
    seal(keyring, text, { table, column, userId });

  const allergens = await sql<{ id: string; name: string }[]>`select id, name from health.allergens`;
  const allergenId = new Map(allergens.map((a) => [a.name, a.id]));
  const tags = await sql<{ id: string }[]>`select id from health.health_tags where is_active`;
  const llms = (await sql<{ code: string }[]>`select code from health.llm_models`).map((r) => r.code);

  // People: signed up over the last year; the daily loggers two years ago.
  const userCount = year(perDay.users);
  const people: Person[] = [];
  for (let i = 0; i < userCount; i++) {
    const [zone, offset] = rng.pick(zones);
    const deleted = rng.next() < 0.01;
    people.push({
      idx: i,
      id: rng.uuid(),
      zone,
      offset,
      createdAt: now - Math.floor(rng.next() * 365 * day),
      verified: rng.next() < 0.95,
      deleted,
      profileId: null,
      tracking: false,
      daily: false,
      logDays: 0,
      weight: 0,
    });
  }
  const live = people.filter((p) => !p.deleted);
  // Health profiles: verified people, as many as Appendix A says.
  const profiled = live.filter((p) => p.verified).slice(0, year(perDay.health_profiles));
  for (const p of profiled) p.profileId = rng.uuid();
  // Half the people track their mental wellness; a thousandth of them (at least one) daily for two years.
  const trackers = live.filter((p) => p.verified && rng.next() < 0.5);
  for (const p of trackers) p.tracking = true;
  const dailyCount = Math.max(1, Math.round(trackers.length / 1000));
  const dailies = trackers.slice(0, dailyCount).map((p) => {
    const q = { ...p, createdAt: now - 731 * day, daily: true, logDays: 730 };
    people[p.idx] = q;
    return q;
  });
  const regular = trackers.slice(dailyCount).map((p) => people[p.idx] as Person);
  // Days logged by the others: Pareto (most log a few days), scaled so the mood logs come to
  // Appendix A's year-one volume at about 1.3 entries a logged day.
  const dailyMood = dailies.length * 730 * 1.7;
  const budget = Math.max(0, year(perDay.mood_logs) - dailyMood) / 1.3;
  const raw = regular.map(() => 1 / Math.pow(1 - rng.next() * 0.999, 1 / 1.1));
  const avail = regular.map((p) => Math.max(1, Math.floor((now - p.createdAt) / day) - 1));
  let k =
    budget /
    Math.max(
      1,
      raw.reduce((a, b) => a + b, 0),
    );
  for (let pass = 0; pass < 3; pass++) {
    const got = raw.reduce((a, r, i) => a + Math.min(avail[i] as number, r * k), 0);
    k *= budget / Math.max(1, got);
  }
  regular.forEach((p, i) => {
    const d = Math.min(avail[i] as number, (raw[i] as number) * k);
    p.logDays = Math.floor(d) + (rng.next() < d - Math.floor(d) ? 1 : 0);
  });
  for (const p of people) p.weight = p.deleted ? 0.2 : 1 + p.logDays / 10;
  const byWeight = cumulative(people.map((p) => p.weight));
  const weighted = () => people[bisect(byWeight, rng.next() * (byWeight.at(-1) as number))] as Person;

  // The days a person logged: all of the last 730 for the daily ones, else a random subset of
  // the days since sign-up, the same for mood, stress and sleep.
  const daysOf = (p: Person): number[] => {
    if (p.daily) return Array.from({ length: 730 }, (_, i) => i + 1);
    const r = prng(p.idx * 7919 + 1);
    const a = Math.max(1, Math.floor((now - p.createdAt) / day) - 1);
    const set = new Set<number>();
    while (set.size < Math.min(a, p.logDays)) set.add(r.int(1, a));
    return [...set].sort((x, y) => y - x);
  };
  /** A local hour on day `d` before today, as an instant. */
  const at = (p: Person, d: number, r: Rng, from = 7, to = 22) =>
    today - d * day + (r.int(from, to) - p.offset) * 3_600_000 + r.int(0, 3_599_999);

  const generatedAt = new Date(now).toISOString();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`set local maintenance_work_mem = '256MB'`;

    // Catalogue.
    const ingredientIds = baseIngredients.map(() => rng.uuid());
    rows['public.ingredients'] = await copy(
      tx,
      'public.ingredients',
      ['id', 'name', 'allergen_id', 'diet_traits'],
      baseIngredients.map(([name, allergen, traits], i) =>
        [ingredientIds[i], text(name), allergen ? allergenId.get(allergen) : N, array(traits)].join('\t'),
      ),
    );
    const restaurantCount = Math.max(2, Math.round(restaurantsPerScale * scale));
    const restaurants: { id: string; meals: string[] }[] = [];
    rows['public.restaurants'] = await copy(
      tx,
      'public.restaurants',
      [
        'id',
        'name',
        'cuisine_type',
        'address',
        'city',
        'state',
        'zip_code',
        'latitude',
        'longitude',
        'time_zone',
        'hours',
        'rating',
        'price_range',
        'is_active',
        'created_at',
      ],
      (function* () {
        for (let i = 0; i < restaurantCount; i++) {
          const [city, state, zone, lat, lon] = rng.pick(cities);
          const cuisine = rng.pick(cuisines);
          const id = rng.uuid();
          restaurants.push({ id, meals: [] });
          yield [
            id,
            `${rng.pick(mealAdjectives)} ${cuisine} Kitchen ${i}`,
            cuisine,
            `${rng.int(1, 9999)} ${rng.pick(['Main', 'Oak', 'Pine', 'Market', 'Lake'])} St`,
            city,
            state,
            String(rng.int(10000, 99999)),
            (lat + (rng.next() - 0.5) * 0.3).toFixed(6),
            (lon + (rng.next() - 0.5) * 0.4).toFixed(6),
            zone,
            JSON.stringify(rng.pick(hoursChoices)),
            (2.5 + rng.next() * 2.5).toFixed(1),
            String(rng.int(1, 4)),
            rng.next() < 0.97 ? 't' : 'f',
            iso(now - rng.int(30, 900) * day),
          ].join('\t');
        }
      })(),
    );
    const meals: { id: string; restaurant: string }[] = [];
    rows['public.meals'] = await copy(
      tx,
      'public.meals',
      [
        'id',
        'restaurant_id',
        'name',
        'description',
        'category',
        'price',
        'calories',
        'protein_g',
        'carbs_g',
        'fat_g',
        'fiber_g',
        'sodium_mg',
        'is_available',
        'ingredients_complete',
      ],
      (function* () {
        for (const r of restaurants) {
          const n = rng.int(6, 18);
          const names = new Set<string>();
          while (names.size < n)
            names.add(`${rng.pick(mealAdjectives)} ${rng.pick(baseIngredients)[0]} ${rng.pick(mealWords)}`);
          for (const name of names) {
            const id = rng.uuid();
            r.meals.push(id);
            meals.push({ id, restaurant: r.id });
            const kcal = rng.int(250, 1200);
            yield [
              id,
              r.id,
              name,
              `${name} made fresh with seasonal produce`,
              rng.pick(mealWords),
              (6 + rng.next() * 24).toFixed(2),
              String(kcal),
              (kcal * (0.02 + rng.next() * 0.06)).toFixed(1),
              (kcal * (0.08 + rng.next() * 0.06)).toFixed(1),
              (kcal * (0.02 + rng.next() * 0.03)).toFixed(1),
              (rng.next() * 12).toFixed(1),
              String(rng.int(200, 2500)),
              rng.next() < 0.95 ? 't' : 'f',
              rng.next() < 0.7 ? 't' : 'f',
            ].join('\t');
          }
        }
      })(),
    );
    rows['public.meal_ingredients'] = await copy(
      tx,
      'public.meal_ingredients',
      ['meal_id', 'ingredient_id', 'presence'],
      (function* () {
        for (const m of meals) {
          const chosen = new Set<number>();
          const n = rng.int(3, 8);
          while (chosen.size < n) chosen.add(rng.int(0, baseIngredients.length - 1));
          for (const i of chosen)
            yield `${m.id}\t${ingredientIds[i]}\t${rng.next() < 0.08 ? 'may_contain' : 'contains'}`;
        }
      })(),
    );
    // meal_facts as the triggers make it: refresh_meal_facts over every meal, in chunks.
    for (let i = 0; i < meals.length; i += 5000) {
      await tx`select public.refresh_meal_facts(${meals.slice(i, i + 5000).map((m) => m.id)}::uuid[])`;
    }
    rows['public.meal_facts'] = meals.length;
    const foodTagCount = Math.min(year(perDay.food_tags), meals.length * tags.length);
    rows['health.food_tags'] = await copy(
      tx,
      'health.food_tags',
      ['food_id', 'tag_id', 'confidence_score', 'source', 'verified'],
      (function* () {
        const seen = new Set<string>();
        while (seen.size < foodTagCount) {
          const m = rng.pick(meals).id;
          const t = rng.pick(tags).id;
          if (seen.has(m + t)) continue;
          seen.add(m + t);
          yield `${m}\t${t}\t${(0.5 + rng.next() * 0.5).toFixed(2)}\t${rng.pick(['nutritionist', 'ai_analysis', 'database_import'])}\t${rng.next() < 0.3 ? 't' : 'f'}`;
        }
      })(),
    );

    // People.
    rows['public.users'] = await copy(
      tx,
      'public.users',
      [
        'id',
        'username',
        'email',
        'password_hash',
        'time_zone',
        'is_email_verified',
        'is_active',
        'created_at',
        'updated_at',
        'password_changed_at',
        'last_login_at',
        'deleted_at',
      ],
      people.map((p) => {
        const created = iso(p.createdAt);
        const name = p.daily ? `daily_${p.idx}` : `user_${p.idx}`;
        return [
          p.id,
          name,
          `${name}@bench.example.com`,
          'scrypt$bench$unusable',
          p.zone,
          p.verified ? 't' : 'f',
          p.deleted ? 'f' : 't',
          created,
          created,
          created,
          iso(Math.min(now, p.createdAt + rng.int(0, 300) * day)),
          p.deleted ? iso(now - rng.int(0, 60) * day) : N,
        ].join('\t');
      }),
    );
    rows['public.health_profiles'] = await copy(
      tx,
      'public.health_profiles',
      [
        'id',
        'user_id',
        'height_cm',
        'weight_kg',
        'date_of_birth',
        'gender',
        'activity_level',
        'created_at',
        'updated_at',
      ],
      profiled.map((p) => {
        const when = iso(p.createdAt + 3_600_000);
        return [
          p.profileId,
          p.id,
          String(rng.int(150, 200)),
          (50 + rng.next() * 60).toFixed(2),
          `${rng.int(1950, 2010)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
          rng.pick(['male', 'female', 'female', 'male', 'other', 'prefer_not_to_say']),
          rng.pick(['sedentary', 'light', 'moderate', 'active', 'very_active']),
          when,
          when,
        ].join('\t');
      }),
    );
    const allergyTarget = year(perDay.user_allergies);
    rows['public.user_allergies'] = await copy(
      tx,
      'public.user_allergies',
      [
        'user_id',
        'health_profile_id',
        'allergen_id',
        'severity',
        'notes_encrypted',
        'notes_key_version',
        'created_at',
        'updated_at',
      ],
      (function* () {
        const mean = allergyTarget / Math.max(1, profiled.length);
        let left = allergyTarget;
        for (const p of profiled) {
          if (left <= 0) break;
          const n = Math.min(left, allergens.length, Math.floor(rng.next() * mean * 2 + 0.5));
          left -= n;
          const chosen = new Set<string>();
          while (chosen.size < n) chosen.add(rng.pick(allergens).id);
          for (const a of chosen) {
            const note =
              rng.next() < 0.2
                ? sealed('Hives within an hour', 'public.user_allergies', 'notes_encrypted', p.id)
                : null;
            const when = iso(p.createdAt + 7_200_000);
            yield [
              p.id,
              p.profileId,
              a,
              rng.pick(['MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING']),
              bytea(note?.ciphertext ?? null),
              note ? String(note.keyVersion) : N,
              when,
              when,
            ].join('\t');
          }
        }
      })(),
    );
    // The rest of a health profile, on some: diets, conditions, fitness goals, preferences.
    const diets = await tx<{ id: string }[]>`select id from health.dietary_restrictions_ref`;
    const conditions = await tx<{ id: string }[]>`select id from health.medical_conditions_ref`;
    const some = (share: number, seed: number) =>
      profiled.filter((p) => prng(p.idx * 13 + seed).next() < share);
    rows['public.user_dietary_restrictions'] = await copy(
      tx,
      'public.user_dietary_restrictions',
      ['user_id', 'health_profile_id', 'restriction_id'],
      some(0.15, 1).map((p) => `${p.id}\t${p.profileId}\t${rng.pick(diets).id}`),
    );
    rows['public.user_medical_conditions'] = await copy(
      tx,
      'public.user_medical_conditions',
      ['user_id', 'health_profile_id', 'condition_id'],
      some(0.1, 2).map((p) => `${p.id}\t${p.profileId}\t${rng.pick(conditions).id}`),
    );
    rows['public.user_fitness_goals'] = await copy(
      tx,
      'public.user_fitness_goals',
      ['user_id', 'health_profile_id', 'goal_type', 'target_calories', 'weekly_activity_minutes'],
      some(0.4, 3).map(
        (p) =>
          `${p.id}\t${p.profileId}\t${rng.pick(['weight_loss', 'maintenance', 'muscle_gain', 'general_fitness'])}\t${rng.int(1600, 3000)}\t${rng.int(60, 400)}`,
      ),
    );
    rows['public.user_preferences'] = await copy(
      tx,
      'public.user_preferences',
      ['user_id', 'cuisines', 'price_range', 'max_distance_km'],
      some(0.5, 4).map(
        (p) =>
          `${p.id}\t${array([rng.pick(cuisines), rng.pick(cuisines)].filter((c, i, xs) => xs.indexOf(c) === i))}\t${rng.int(1, 4)}\t${rng.int(2, 25)}`,
      ),
    );
    rows['public.user_consents'] = await copy(
      tx,
      'public.user_consents',
      ['user_id', 'consent_type', 'policy_version', 'granted_at'],
      (function* () {
        for (const p of people) {
          yield `${p.id}\tterms_of_service\t2026-01\t${iso(p.createdAt)}`;
          if (p.tracking) yield `${p.id}\tmental_health_tracking\t2026-01\t${iso(p.createdAt + 60_000)}`;
        }
      })(),
    );
    const trackersNow = people.filter((p) => p.tracking);

    // Mental wellness: mood, stress and sleep on the person's logged days.
    const moodColumns = [
      'user_id',
      'mood_score',
      'mood_label',
      'energy_level',
      'context',
      'notes_encrypted',
      'notes_key_version',
      'logged_at',
      'local_date',
      'created_at',
    ];
    const moodBands = ['very_poor', 'poor', 'neutral', 'good', 'excellent'];
    rows['health.mood_logs'] = await withoutIndexes(tx, 'health.mood_logs', () =>
      copy(
        tx,
        'health.mood_logs',
        moodColumns,
        (function* () {
          for (const p of trackersNow) {
            const r = prng(p.idx * 31 + 2);
            for (const d of daysOf(p)) {
              const n = p.daily ? r.int(1, 2) + (r.next() < 0.2 ? 1 : 0) : 1 + (r.next() < 0.3 ? 1 : 0);
              for (let j = 0; j < n; j++) {
                const when = Math.min(now - 60_000, at(p, d, r));
                const score = Math.max(
                  1,
                  Math.min(10, Math.round(6 + 2 * Math.sin(d / 9) + (r.next() - 0.5) * 5)),
                );
                const note =
                  r.next() < 0.1
                    ? sealed(r.pick(moodNotes), 'health.mood_logs', 'notes_encrypted', p.id)
                    : null;
                yield [
                  p.id,
                  score,
                  moodBands[Math.ceil(score / 2) - 1],
                  r.int(1, 10),
                  text(r.pick(contexts)),
                  bytea(note?.ciphertext ?? null),
                  note ? note.keyVersion : N,
                  iso(when),
                  localDate(when, p.zone),
                  iso(when + 1000),
                ].join('\t');
              }
            }
          }
        })(),
      ),
    );
    const stressBands = ['minimal', 'low', 'moderate', 'high', 'severe'];
    rows['health.stress_logs'] = await withoutIndexes(tx, 'health.stress_logs', () =>
      copy(
        tx,
        'health.stress_logs',
        [
          'user_id',
          'stress_level',
          'stress_label',
          'triggers',
          'coping_strategies',
          'logged_at',
          'local_date',
          'created_at',
        ],
        (function* () {
          for (const p of trackersNow) {
            const r = prng(p.idx * 31 + 3);
            for (const d of daysOf(p)) {
              const n = p.daily
                ? 1 + (r.next() < 0.3 ? 1 : 0)
                : r.next() < 0.8
                  ? 1 + (r.next() < 0.3 ? 1 : 0)
                  : 0;
              for (let j = 0; j < n; j++) {
                const when = Math.min(now - 60_000, at(p, d, r));
                const level = Math.max(
                  1,
                  Math.min(10, Math.round(5 - 2 * Math.sin(d / 9) + (r.next() - 0.5) * 5)),
                );
                const triggers = [...new Set([r.pick(triggerCodes), r.pick(triggerCodes)])].slice(
                  0,
                  r.int(0, 2),
                );
                const coping = [...new Set([r.pick(copingCodes), r.pick(copingCodes)])].slice(0, r.int(0, 2));
                yield [
                  p.id,
                  level,
                  stressBands[Math.ceil(level / 2) - 1],
                  array(triggers),
                  array(coping),
                  iso(when),
                  localDate(when, p.zone),
                  iso(when + 1000),
                ].join('\t');
              }
            }
          }
        })(),
      ),
    );
    const qualityBands = ['very_poor', 'poor', 'fair', 'good', 'excellent'];
    rows['health.sleep_logs'] = await withoutIndexes(tx, 'health.sleep_logs', () =>
      copy(
        tx,
        'health.sleep_logs',
        [
          'user_id',
          'sleep_date',
          'bedtime',
          'wake_time',
          'quality_score',
          'quality_label',
          'interruptions',
          'logged_at',
          'created_at',
        ],
        (function* () {
          for (const p of trackersNow) {
            const r = prng(p.idx * 31 + 4);
            for (const d of daysOf(p)) {
              if (!p.daily && r.next() >= 0.65) continue;
              const woke = at(p, d, r, 6, 9);
              const bed = `${String(r.pick([21, 22, 23, 0])).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}`;
              const wake = `${String(r.int(5, 8)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}`;
              const q = r.int(1, 10);
              yield [
                p.id,
                localDate(woke, p.zone),
                bed,
                wake,
                q,
                qualityBands[Math.ceil(q / 2) - 1],
                r.int(0, 4),
                iso(Math.min(now - 60_000, woke + 1_800_000)),
                iso(Math.min(now - 60_000, woke + 1_800_000)),
              ].join('\t');
            }
          }
        })(),
      ),
    );
    rows['health.mindfulness_sessions'] = await copy(
      tx,
      'health.mindfulness_sessions',
      ['user_id', 'practice', 'duration_minutes', 'logged_at', 'local_date', 'created_at'],
      (function* () {
        for (const p of trackersNow) {
          const r = prng(p.idx * 31 + 5);
          for (const d of daysOf(p)) {
            if (r.next() >= 0.1) continue;
            const when = Math.min(now - 60_000, at(p, d, r));
            yield [
              p.id,
              r.pick(['meditation', 'breathing', 'body_scan', 'yoga', 'mindful_walk']),
              r.int(5, 45),
              iso(when),
              localDate(when, p.zone),
              iso(when),
            ].join('\t');
          }
        }
      })(),
    );
    const byTrackerWeight = cumulative(trackersNow.map((p) => p.weight));
    const activeTracker = () =>
      trackersNow[bisect(byTrackerWeight, rng.next() * (byTrackerWeight.at(-1) as number))] as Person;
    rows['health.mental_wellness_goals'] = await copy(
      tx,
      'health.mental_wellness_goals',
      [
        'user_id',
        'goal_type',
        'target_value',
        'target_unit',
        'frequency',
        'start_date',
        'status',
        'notes_encrypted',
        'notes_key_version',
        'created_at',
        'updated_at',
      ],
      (function* () {
        const goals: readonly (readonly [string, string, number, string])[] = [
          ['mood_improvement', 'score', 7, 'daily'],
          ['stress_reduction', 'score', 4, 'daily'],
          ['sleep_quality', 'score', 7, 'daily'],
          ['sleep_duration', 'hours', 7.5, 'daily'],
          ['mindfulness_practice', 'days_per_week', 4, 'weekly'],
        ];
        for (let i = 0; i < year(perDay.mental_wellness_goals) && trackersNow.length; i++) {
          const p = activeTracker();
          const [type, unit, target, frequency] = rng.pick(goals);
          const start = Math.min(now - day, p.createdAt + rng.int(0, 30) * day);
          const note =
            rng.next() < 0.2
              ? sealed('Keep going', 'health.mental_wellness_goals', 'notes_encrypted', p.id)
              : null;
          yield [
            p.id,
            type,
            target,
            unit,
            frequency,
            dateOf(start),
            rng.pick(['ACTIVE', 'ACTIVE', 'PAUSED', 'COMPLETED', 'ABANDONED']),
            bytea(note?.ciphertext ?? null),
            note ? note.keyVersion : N,
            iso(start),
            iso(start),
          ].join('\t');
        }
      })(),
    );
    rows['health.ai_chat_sessions'] = await copy(
      tx,
      'health.ai_chat_sessions',
      [
        'user_id',
        'session_title_encrypted',
        'session_title_key_version',
        'context_summary_encrypted',
        'context_summary_key_version',
        'message_count',
        'total_tokens_used',
        'llm_model',
        'started_at',
        'last_message_at',
        'ended_at',
        'status',
        'created_at',
      ],
      (function* () {
        for (let i = 0; i < year(perDay.ai_chat_sessions) && trackersNow.length; i++) {
          const p = activeTracker();
          const start = p.createdAt + Math.floor(rng.next() * (now - p.createdAt - 3_600_000));
          const title = sealed(
            'Eating well on busy days',
            'health.ai_chat_sessions',
            'session_title_encrypted',
            p.id,
          );
          const summary =
            rng.next() < 0.5
              ? sealed(
                  'Talked about lunches and sleep',
                  'health.ai_chat_sessions',
                  'context_summary_encrypted',
                  p.id,
                )
              : null;
          const messages = rng.int(2, 40);
          const last = start + messages * 60_000;
          const done = rng.next() < 0.8;
          yield [
            p.id,
            bytea(title.ciphertext),
            title.keyVersion,
            bytea(summary?.ciphertext ?? null),
            summary ? summary.keyVersion : N,
            messages,
            messages * rng.int(100, 600),
            rng.pick(llms),
            iso(start),
            iso(last),
            done ? iso(last) : N,
            done ? 'COMPLETED' : 'ACTIVE',
            iso(start),
          ].join('\t');
        }
      })(),
    );

    const feedback: { p: Person; meal: string; at: number }[] = [];
    // Recommendations: 5-10 a request, from one restaurant, by active people with a profile.
    const withProfile = people.filter((p) => p.profileId && !p.deleted);
    const byProfileWeight = cumulative(withProfile.map((p) => p.weight));
    rows['public.recommendations'] = await withoutIndexes(tx, 'public.recommendations', () =>
      copy(
        tx,
        'public.recommendations',
        [
          'user_id',
          'meal_id',
          'restaurant_id',
          'reason',
          'score',
          'status',
          'created_at',
          'meal_time',
          'reasons',
          'warnings',
          'algorithm_version',
          'rank',
          'shown_at',
          'responded_at',
        ],
        (function* () {
          const target = year(perDay.recommendations);
          const open = new Set<string>();
          feedback.length = 0;
          let n = 0;
          while (n < target && withProfile.length) {
            const p = withProfile[
              bisect(byProfileWeight, rng.next() * (byProfileWeight.at(-1) as number))
            ] as Person;
            const r = rng.pick(restaurants);
            if (!r.meals.length) continue;
            const shown = p.createdAt + Math.floor(rng.next() * (now - p.createdAt));
            const mealTime = rng.pick(['breakfast', 'lunch', 'lunch', 'dinner', 'dinner', 'snack']);
            const count = Math.min(r.meals.length, rng.int(5, 10), target - n);
            for (let rank = 1; rank <= count; rank++) {
              const meal = r.meals[rank - 1] as string;
              const roll = rng.next();
              let status = roll < 0.08 ? 'accepted' : roll < 0.2 ? 'dismissed' : 'shown';
              const key = `${p.idx}|${meal}|${mealTime}`;
              if (status === 'shown') {
                if (open.has(key)) status = 'dismissed';
                else open.add(key);
              }
              if (status === 'accepted' && rng.next() < 0.3)
                feedback.push({ p, meal, at: shown + rng.int(3600, 86_400) * 1000 });
              const score = Math.max(0, 0.95 - rank * 0.05 - rng.next() * 0.1);
              const reasons = reasonCodes.slice(0, rng.int(2, 5)).map((code) => ({
                code,
                sentence: `It suits your ${code.replace('_', ' ')}`,
                points: Number((rng.next() * 0.3).toFixed(3)),
              }));
              yield [
                p.id,
                meal,
                r.id,
                text(reasons[0]?.sentence),
                score.toFixed(3),
                status,
                iso(shown),
                mealTime,
                text(JSON.stringify(reasons)),
                '[]',
                'eatsential-rank-2026.12',
                rank,
                iso(shown),
                status === 'shown' ? N : iso(shown + rng.int(1, 3600) * 1000),
              ].join('\t');
              n++;
            }
          }
        })(),
      ),
    );

    // Ratings of a third of the accepted meals, a fifth with a sealed comment.
    rows['public.feedback'] = await copy(
      tx,
      'public.feedback',
      ['user_id', 'meal_id', 'rating', 'comment_encrypted', 'comment_key_version', 'created_at'],
      feedback.map(({ p, meal, at: when }) => {
        const comment =
          rng.next() < 0.2 ? sealed('Tasty and filling', 'public.feedback', 'comment_encrypted', p.id) : null;
        return [
          p.id,
          meal,
          rng.int(1, 5),
          bytea(comment?.ciphertext ?? null),
          comment ? comment.keyVersion : N,
          iso(Math.min(now - 60_000, when)),
        ].join('\t');
      }),
    );

    // Access logs: one a request over the last year, in the monthly partitions.
    const first = new Date(now - 365 * day);
    for (
      let m = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
      m.getTime() <= now;
      m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))
    ) {
      await tx`select audit.create_access_log_partition(${m.toISOString().slice(0, 10)}::date)`;
    }
    rows['audit.access_logs'] = await withoutIndexes(tx, 'audit.access_logs', () =>
      copy(
        tx,
        'audit.access_logs',
        [
          'user_id',
          'session_id',
          'ip_address',
          'user_agent',
          'endpoint',
          'method',
          'status_code',
          'response_time_ms',
          'error_message',
          'accessed_at',
        ],
        (function* () {
          const target = year(perDay.access_logs);
          for (let i = 0; i < target; i++) {
            const p = weighted();
            const [endpoint, method] = endpoints[
              bisect(endpointWeights, rng.next() * (endpointWeights.at(-1) as number))
            ] as readonly [string, string, number];
            const anonymous = endpoint.startsWith('/auth/');
            const since = Math.max(p.createdAt, now - 365 * day);
            const when = since + Math.floor(rng.next() * (now - since));
            const roll = rng.next();
            const status =
              roll < 0.93 ? (method === 'POST' ? 201 : 200) : roll < 0.97 ? 400 : roll < 0.995 ? 401 : 503;
            yield [
              anonymous ? N : p.id,
              anonymous ? N : rng.uuid(),
              `198.51.100.${rng.int(1, 254)}`,
              rng.pick(userAgents),
              endpoint,
              method,
              status,
              Math.round(8 + -Math.log(1 - rng.next()) * 25),
              status >= 400 ? 'validation_failed' : N,
              iso(when),
            ].join('\t');
          }
        })(),
      ),
    );
    await tx.unsafe(
      `comment on database ${ident((await tx<{ db: string }[]>`select current_database() as db`)[0]!.db)} is ${literal(`eatsential bench data: scale ${scale}, generated ${generatedAt}`)}`,
    );
    const t = performance.now();
    await verify(tx);
    log(`checked what the triggers keep in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  });

  const t = performance.now();
  await sql`analyze`;
  log(`analyze in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { rows, seconds: (performance.now() - t0) / 1000, dailyLoggers: dailies.map((p) => p.id) };
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

function cumulative(ws: readonly number[]): number[] {
  let sum = 0;
  return ws.map((w) => (sum += w));
}
function bisect(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What the triggers skipped would have enforced or derived, checked set-wise: each query counts
 * the rows that break a rule, and any count above zero fails the load.
 */
const rules: readonly (readonly [string, string])[] = [
  [
    'users.time_zone is a known zone',
    `select count(*) from (select distinct time_zone from public.users) u where time_zone <> 'UTC' and not exists (select 1 from pg_timezone_names z where z.name = u.time_zone)`,
  ],
  [
    'restaurants.time_zone is a known zone',
    `select count(*) from (select distinct time_zone from public.restaurants where time_zone is not null) r where time_zone <> 'UTC' and not exists (select 1 from pg_timezone_names z where z.name = r.time_zone)`,
  ],
  [
    'health profiles of verified people, 13 or older',
    `select count(*) from public.health_profiles h join public.users u on u.id = h.user_id where not u.is_email_verified or h.date_of_birth > current_date - interval '13 years'`,
  ],
  [
    "mood local_date in the person's zone",
    `select count(*) from health.mood_logs m join public.users u on u.id = m.user_id where m.local_date <> (m.logged_at at time zone u.time_zone)::date`,
  ],
  [
    "stress local_date in the person's zone",
    `select count(*) from health.stress_logs m join public.users u on u.id = m.user_id where m.local_date <> (m.logged_at at time zone u.time_zone)::date`,
  ],
  [
    'stress codes in the vocabularies',
    `select count(*) from health.stress_logs s where exists (select 1 from unnest(s.triggers) t where t not in (select code from health.stress_triggers_ref)) or exists (select 1 from unnest(s.coping_strategies) c where c not in (select code from health.coping_strategies_ref))`,
  ],
  [
    'mental-wellness rows under an active consent',
    `select (select count(*) from health.mood_logs l where not public.has_active_consent(l.user_id, 'mental_health_tracking')) + (select count(*) from health.sleep_logs l where not public.has_active_consent(l.user_id, 'mental_health_tracking'))`,
  ],
  [
    'every meal has its meal_facts',
    `select count(*) from public.meals m where not exists (select 1 from public.meal_facts f where f.meal_id = m.id)`,
  ],
  [
    'recommendations name a meal of their restaurant',
    `select count(*) from public.recommendations r where not exists (select 1 from public.meals m where m.id = r.meal_id and m.restaurant_id = r.restaurant_id)`,
  ],
  [
    'user rows name a user',
    `select (select count(*) from health.mood_logs l where not exists (select 1 from public.users u where u.id = l.user_id)) + (select count(*) from public.user_allergies a where not exists (select 1 from public.health_profiles h where h.id = a.health_profile_id and h.user_id = a.user_id))`,
  ],
];

async function verify(tx: Tx): Promise<void> {
  for (const [rule, query] of rules) {
    const [row] = await tx.unsafe<Record<string, string>[]>(query);
    const broken = Number(Object.values(row ?? {})[0] ?? 0);
    if (broken > 0)
      throw new Error(`generated data breaks a rule the triggers keep: ${rule} (${broken} rows)`);
  }
}

const usage =
  'usage: npm run bench:data -- --scale <s> [--seed <n>] [--force]   (DATABASE_URL names the database)';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { scale: { type: 'string' }, seed: { type: 'string' }, force: { type: 'boolean' } },
  });
  const scale = Number(values.scale);
  if (!values.scale || !Number.isFinite(scale) || scale <= 0 || scale > 10) {
    console.error(`${usage}\n--scale is a number above 0 (0.1: a tenth of year one), at most 10`);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      `${usage}\nDATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/eatsential_bench)`,
    );
    return 2;
  }
  await ensureDatabase(url);
  const sql = createSql({ url }, { max: 1, applicationName: 'eatsential-bench-data' });
  try {
    await migrate(sql);
    const [{ users } = { users: 0 }] = await sql<
      { users: number }[]
    >`select count(*)::int as users from public.users`;
    if (users > 0) {
      if (!values.force) {
        console.error(
          `${new URL(url).pathname.slice(1)} already holds ${users} users: refusing to add generated data (--force empties it first)`,
        );
        return 1;
      }
      console.log(`--force: emptying ${users} users, their rows and the catalogue`);
      await sql`truncate public.users, public.restaurants, public.ingredients, audit.access_logs, audit.data_changes, audit.data_reads, audit.audit_logs cascade`;
    }
    console.log(
      `generating scale ${scale} (${Math.round(perDay.users * 365 * scale)} users) into ${new URL(url).pathname.slice(1)}`,
    );
    const done = await generate(sql, {
      scale,
      seed: values.seed ? Number(values.seed) : undefined,
      keyring: process.env.NOTE_KEYRING,
      log: (line) => console.log(line),
    });
    let total = 0;
    for (const [table, n] of Object.entries(done.rows)) {
      total += n;
      console.log(`${table.padEnd(32)} ${String(n).padStart(10)}`);
    }
    console.log(
      `${'total'.padEnd(32)} ${String(total).padStart(10)} rows in ${done.seconds.toFixed(1)} s (${Math.round(total / done.seconds)} rows/s)`,
    );
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates the database of `url` when it does not exist (connecting to the server's `postgres`). */
async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const server = new URL(url);
  server.pathname = '/postgres';
  const admin = postgres(server.toString(), { max: 1, onnotice: () => undefined });
  try {
    const [found] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!found) {
      await admin.unsafe(`create database ${ident(name)}`);
      console.log(`created database ${name}`);
    }
  } finally {
    await admin.end();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`bench:data failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
