/**
 * Every list and lookup the API runs on a user-owned table can use an index.
 *
 * Generated data (bench/data.ts, a tiny scale, then ANALYZE), then each signed-in GET and DELETE
 * route's operation, and POST /me/mood-logs, run as the API runs them: one transaction as the
 * person (session check, row-level security), rolled back at the end. auto_explain hands the plan of
 * every statement, nested ones included (functions, policies, triggers), back to the client as a
 * notice, so the statements checked are the ones the queries modules send, with real parameters.
 *
 * The session runs with enable_seqscan off: at a tiny scale the planner rightly prefers reading a
 * small table whole, so a sequential scan it still chooses then means no index serves the access
 * path. That is what is refused, on every table that holds a person's rows.
 *
 * PostgreSQL only: auto_explain is a server module that the embedded PGlite does not load.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { transaction, type Sql } from '../../functions/core/db';
import { confirmed, sessionCheck } from '../../functions/core/session';
import type { Caller } from '../../functions/core/tokens';
import { generate } from '../../bench/data';
import { onPostgres, testNoteKeyring, useTestDatabase } from '../support';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** Path segments before an `{id}`, and the table the id belongs to. */
const tableOfSegment: Record<string, string> = {
  'mood-logs': 'health.mood_logs',
  'stress-logs': 'health.stress_logs',
  'sleep-logs': 'health.sleep_logs',
  'mindfulness-sessions': 'health.mindfulness_sessions',
  'mental-goals': 'health.mental_wellness_goals',
  'chat-sessions': 'health.ai_chat_sessions',
  allergies: 'public.user_allergies',
  'dietary-restrictions': 'public.user_dietary_restrictions',
  'medical-conditions': 'public.user_medical_conditions',
  'fitness-goals': 'public.user_fitness_goals',
  recommendations: 'public.recommendations',
  restaurants: 'public.restaurants',
  meals: 'public.meals',
  users: 'public.users',
};

/** Query strings a list needs beyond its defaults (as a client sends them). */
const queries: Record<string, Record<string, string>> = {
  'GET /me/insights': { period: 'month' },
  'GET /restaurants': { near: '47.61,-122.33', radius_km: '10' },
  'GET /meals': { q: 'bowl', near: '47.61,-122.33' },
  'GET /me/recommendations': { near: '47.61,-122.33', meal: 'lunch' },
};

(onPostgres ? describe : describe.skip)('query plans on generated data', () => {
  const db = useTestDatabase();
  const plans: { query: string; plan: PlanNode }[] = [];
  let explained: Sql;
  let userOwned = new Set<string>();
  let person: Caller;
  let admin: Caller;

  beforeAll(async () => {
    await generate(db.sql, { scale: 0.0005, keyring: JSON.stringify(testNoteKeyring) });
    userOwned = new Set(
      (
        await db.sql<{ name: string }[]>`
          select distinct format('%s.%s', c.table_schema, c.table_name) as name
          from information_schema.columns c
          join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.table_schema in ('public', 'health', 'auth') and c.column_name = 'user_id'
            and t.table_type = 'BASE TABLE'`
      ).map((r) => r.name),
    );
    userOwned.add('public.users');
    // The person who logs daily for two years, with a session; an administrator too.
    const [p] = await db.sql<{ id: string }[]>`
      select id from public.users where username like 'daily\\_%' order by username limit 1`;
    const [a] = await db.sql<{ id: string }[]>`
      update public.users set role = 'admin'
      where id = (select id from public.users where username like 'user\\_%' and deleted_at is null and is_email_verified
                  order by username limit 1)
      returning id`;
    const session = async (userId: string) =>
      (
        await db.sql<{ id: string }[]>`
          insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
          values (${userId}, ${randomBytes(32)}, now() + interval '1 day') returning id`
      )[0]!.id;
    person = { userId: p!.id, role: 'user', sessionId: await session(p!.id) };
    admin = { userId: a!.id, role: 'admin', sessionId: await session(a!.id) };

    explained = postgres(db.url, {
      max: 1,
      prepare: false,
      onnotice: (n) => {
        const text = String(n.message ?? '');
        const start = text.indexOf('{');
        if (start < 0) return;
        const parsed = JSON.parse(text.slice(start)) as { 'Query Text': string; Plan: PlanNode };
        plans.push({ query: parsed['Query Text'], plan: parsed.Plan });
      },
    });
    await explained`load 'auto_explain'`;
    for (const setting of [
      `set auto_explain.log_min_duration = 0`,
      `set auto_explain.log_level = notice`,
      `set auto_explain.log_format = json`,
      `set auto_explain.log_verbose = on`,
      `set auto_explain.log_nested_statements = on`,
      `set enable_seqscan = off`,
    ]) {
      await explained.unsafe(setting);
    }
  }, 120_000);

  afterAll(async () => {
    await explained?.end({ timeout: 5 });
  });

  /**
   * Scans of user-owned tables that read the whole table: a sequential scan, or an index scan with
   * no index condition that filters a person's rows out of everybody's (the whole index read in
   * order, then filtered by user_id: a sequential scan in disguise). A whole-index walk without
   * such a filter is an ordered read that LIMIT ends (an administrator's list of every account).
   */
  const wholeScans = (node: PlanNode): string[] => {
    const table = `${node.Schema}.${node['Relation Name']}`;
    const type = node['Node Type'];
    const whole =
      userOwned.has(table) &&
      (type === 'Seq Scan' ||
        ((type === 'Index Scan' || type === 'Index Only Scan') &&
          !node['Index Cond'] &&
          /\buser_id\b/.test(node.Filter ?? '')));
    return [...(whole ? [`${type} on ${table}`] : []), ...(node.Plans ?? []).flatMap(wholeScans)];
  };

  class Rollback extends Error {}

  /** Runs a route's operation as the API does, rolled back; returns the plans of its statements. */
  async function run(
    route: {
      method: string;
      path: string;
      domain: string;
      operationId: string;
      access: string;
      schemas: Record<string, unknown>;
    },
    caller: Caller,
    body?: unknown,
  ) {
    const { operations } = (await import(`../../functions/${route.domain}/operations`)) as {
      operations: Record<string, (input: unknown) => Promise<unknown>>;
    };
    const params: Record<string, string> = {};
    for (const m of route.path.matchAll(/([^/]+)\/\{(\w+)\}/g)) {
      const [, segment = '', name = ''] = m;
      if (name === 'type') params[name] = 'mental_health_tracking';
      else if (name === 'sessionId') params[name] = caller.sessionId;
      else {
        const table = tableOfSegment[segment];
        const owned = table && userOwned.has(table) && table !== 'public.users';
        const [row] = table
          ? await db.sql.unsafe<{ id: string }[]>(
              `select id::text from ${table} ${owned ? 'where user_id = $1' : ''} order by id limit 1`,
              owned ? [caller.userId] : [],
            )
          : [];
        params[name] = row?.id ?? randomUUID();
      }
    }
    const schemas = route.schemas as { params?: Parse; query?: Parse; body?: Parse };
    const input = {
      params: schemas.params ? schemas.params.parse(params) : undefined,
      query: schemas.query ? schemas.query.parse(queries[`${route.method} ${route.path}`] ?? {}) : undefined,
      body: schemas.body ? schemas.body.parse(body) : undefined,
      caller,
      sql: explained,
      request: { id: randomUUID(), ip: '127.0.0.1', userAgent: 'plans', ifMatch: null },
    };
    const from = plans.length;
    await transaction(
      explained,
      { role: 'eatsential_write', userId: caller.userId },
      async (tx, { prologue }) => {
        const confirmedCaller = confirmed(prologue[0] ?? [], caller);
        try {
          await operations[route.operationId]!({ ...input, tx, caller: confirmedCaller });
        } catch (e) {
          // An answer other than success (404 for an id that is not the caller's...) is still a
          // path the API runs: its plans count. A database error is a defect of this test.
          if ((e as { code?: string }).code && /^[0-9A-Z]{5}$/.test((e as { code: string }).code)) throw e;
        }
        throw new Rollback();
      },
      { prologue: sessionCheck(caller) },
    ).catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
    return plans.slice(from);
  }
  type Parse = { parse: (v: unknown) => unknown };

  it('reads every user-owned table through an index on every signed-in GET and DELETE, and on POST /me/mood-logs', async () => {
    const { routes } = await import('../../functions/routes');
    const checked = routes.filter(
      (r) => r.access !== 'public' && (r.method === 'GET' || r.method === 'DELETE'),
    );
    const refused: string[] = [];
    let statements = 0;
    const examine = (name: string, got: { query: string; plan: PlanNode }[]) => {
      statements += got.length;
      for (const { query, plan } of got) {
        const scans = wholeScans(plan);
        if (scans.length)
          refused.push(`${name}: ${scans.join(', ')} in\n    ${query.replace(/\s+/g, ' ').slice(0, 300)}`);
      }
    };
    for (const route of checked) {
      examine(`${route.method} ${route.path}`, await run(route, route.access === 'admin' ? admin : person));
    }
    const post = routes.find((r) => r.method === 'POST' && r.path === '/me/mood-logs')!;
    examine(
      'POST /me/mood-logs',
      await run(post, person, {
        id: randomUUID(),
        mood_score: 7,
        energy_level: 6,
        context: 'work',
        notes: 'Calm',
      }),
    );
    expect(checked.length).toBeGreaterThan(20);
    expect(statements).toBeGreaterThan(checked.length * 2);
    expect(refused).toEqual([]);
  }, 120_000);
});
