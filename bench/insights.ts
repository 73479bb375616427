/**
 * `npx tsx bench/insights.ts`: GET /me/insights and a goal's progress over a year of entries (three
 * moods, two stress entries and a night a day), run as the API runs them (one transaction as the
 * person, consent gate and read audit included), on the PostgreSQL named by DATABASE_URL.
 * Prints figures; never fails on them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createSql, transaction, type Tx } from '../functions/core/db';
import { migrate } from '../sql/migrator';
import { figures, load, printTable } from './load';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.error('bench/insights.ts needs DATABASE_URL: it measures a real PostgreSQL');
    process.exit(2);
  }
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

async function run(url: string) {
  Object.assign(process.env, {
    DATABASE_URL: url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    NOTE_KEYRING: JSON.stringify({ current: '1', key_1: randomBytes(32).toString('hex') }),
    LOG_LEVEL: 'SILENT',
  });
  const owner = createSql({ url }, { max: 2 });
  await migrate(owner);
  const [user] = await owner<{ id: string }[]>`
    insert into public.users (username, email, password_hash, is_email_verified)
    values ('bench_user', 'bench@example.com', 'scrypt$unusable', true) returning id`;
  const userId = user!.id;
  await owner`insert into public.user_consents (user_id, consent_type, policy_version)
              values (${userId}, 'mental_health_tracking', 'bench')`;
  await owner`
    insert into health.mood_logs (user_id, mood_score, mood_label, energy_level, logged_at)
    select ${userId}, s, (array['very_poor','poor','neutral','good','excellent'])[ceil(s / 2.0)::int], 5,
           now() - make_interval(days => d, hours => h)
    from generate_series(0, 364) d, generate_series(1, 3) h, lateral (select 1 + ((d * 7 + h) % 10) as s) x`;
  await owner`
    insert into health.stress_logs (user_id, stress_level, stress_label, triggers, logged_at)
    select ${userId}, s, (array['minimal','low','moderate','high','severe'])[ceil(s / 2.0)::int], array['work'],
           now() - make_interval(days => d, hours => h)
    from generate_series(0, 364) d, generate_series(1, 2) h, lateral (select 1 + ((d * 3 + h) % 10) as s) x`;
  await owner`
    insert into health.sleep_logs (user_id, sleep_date, bedtime, wake_time, quality_score, quality_label)
    select ${userId}, current_date - d, time '22:30' + make_interval(mins => (d * 13) % 90), time '06:45',
           1 + d % 10, (array['very_poor','poor','fair','good','excellent'])[ceil((1 + d % 10) / 2.0)::int]
    from generate_series(0, 364) d`;
  const [goal] = await owner<{ id: string }[]>`
    insert into health.mental_wellness_goals (user_id, goal_type, target_value, target_unit, frequency, start_date)
    values (${userId}, 'sleep_duration', 7.5, 'hours', 'daily', current_date - 364) returning id`;

  const { operations } = await import('../functions/wellness/operations');
  const sql = createSql({ url }, { max: concurrency });
  const caller = { userId, role: 'user' as const, sessionId: randomUUID() };
  const request = { id: randomUUID(), ip: null, userAgent: null, ifMatch: null };
  const asPerson = (fn: (tx: Tx) => Promise<unknown>) => () =>
    transaction(sql, { role: 'eatsential_write', userId }, fn).then(() => undefined);
  const insights = asPerson((tx) =>
    operations.getInsights({
      tx,
      sql,
      caller,
      request,
      params: undefined,
      body: undefined,
      query: { period: 'month' },
    }),
  );
  const progress = asPerson((tx) =>
    operations.getMentalGoalProgress({
      tx,
      sql,
      caller,
      request,
      params: { id: goal!.id },
      body: undefined,
      query: undefined,
    }),
  );

  console.log(
    `wellness reads over 365 days (2190 entries), concurrency ${concurrency}, ${seconds} s each, PostgreSQL ${(await owner`show server_version`)[0]?.server_version}`,
  );
  await load(concurrency, 1, insights);
  const rows = [
    figures('GET /me/insights?period=month', await load(concurrency, seconds, insights), seconds),
    figures(
      'GET /me/mental-goals/{id}/progress (365 days)',
      await load(concurrency, seconds, progress),
      seconds,
    ),
  ];
  printTable(rows);
  await sql.end();
  await owner.end();
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
