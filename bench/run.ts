/**
 * `npm run bench`: first the cold start of every Lambda bundle (bench/coldstart.ts); then, on the
 * generated data of DATABASE_URL (`npm run bench:data -- --scale 0.1` first), the paths people use
 * most, each through the local server (the real handler chain, in its own process) beside the same
 * SQL run directly through postgres.js (the same operation and helpers, without HTTP, JWT and
 * middy), at concurrency 16: GET /me, POST a mood log, GET a month of mood logs, and GET insights
 * for a person who has logged daily for two years. For each: req/s, p50, p99, the ratio, and what
 * one request costs the database (statements and round trips: from pg_stat_statements when the
 * server loads it, else counted on the wire, bench/wire.ts). Prints figures; never fails on them.
 * Without generated data it generates scale 0.01 in a scratch database and drops it afterwards.
 *
 * Then, on a generated catalogue (bench/recommendations.ts), GET /me/recommendations at
 * concurrency 8 and GET /restaurants?near= at 16, each through the API beside the same SQL run
 * directly. `npm run bench -- recommendations` runs only that part; `npm run bench -- mail-timing`
 * runs bench/mailTiming.ts instead.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql, transaction, type Sql } from '../functions/core/db';
import { accessLogStatement } from '../functions/core/accessLog';
import { confirmed, sessionCheck } from '../functions/core/session';
import type { Caller } from '../functions/core/tokens';
import { migrate } from '../sql/migrator';
import { coldStarts, printColdStarts } from './coldstart';
import { benchKeyring, generate } from './data';
import { figures, load, printTable, serverSide, type Figures } from './load';
import { perCall, startWire } from './wire';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
/** The goal of API/direct on every path (issue 12). */
const ratioGoal = 0.7;

/**
 * The API server in its own process. Its log lines go to a file, not a pipe to this process: writes
 * to a pipe are synchronous on Linux, so while the load generator was busy the server waited on it
 * (17 % of the server's time on GET /restaurants?near=), which a Lambda's log shipping never costs.
 */
function startServer(env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-bench-'));
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'functions', 'local', 'start.ts')],
    {
      env: { ...process.env, ...env, PORT: '0', EATSENTIAL_LOCAL_DIR: dir },
      stdio: ['ignore', log, 'inherit'],
    },
  );
  closeSync(log);
  return new Promise((resolve, reject) => {
    let exited = false;
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`the API server exited with ${code}: ${readFileSync(logPath, 'utf8').slice(-2000)}`));
    });
    const poll = setInterval(() => {
      if (exited) return clearInterval(poll);
      const m = /listening on (http:\/\/localhost:\d+)/.exec(readFileSync(logPath, 'utf8'));
      if (!m?.[1]) return;
      clearInterval(poll);
      resolve({
        url: m[1].replace('localhost', '127.0.0.1'),
        stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGINT'))),
      });
    }, 50);
  });
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.error(
      'npm run bench needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/eatsential_bench, filled by npm run bench:data): it measures a real PostgreSQL',
    );
    process.exit(2);
  }
  if (process.argv[2] === 'mail-timing') {
    const { benchMailTiming } = await import('./mailTiming');
    await benchMailTiming(base);
    return;
  }
  const { benchRecommendations, withBenchDatabase } = await import('./recommendations');
  if (process.argv[2] === 'recommendations') {
    await withBenchDatabase(base, (url) => benchRecommendations(url, startServer));
    return;
  }

  console.log('Cold start: node -e "require(<bundle>)", whole process, median of interleaved runs');
  printColdStarts(await coldStarts());
  console.log('');

  const probe = createSql({ url: base }, { max: 1 });
  const generated = await probe`select 1 from public.users where username like 'daily\\_%' limit 1`.then(
    (rows) => rows.length > 0,
    () => false,
  );
  await probe.end();
  if (generated) await run(base);
  else await generatedRun(base);
  console.log('');
  await withBenchDatabase(base, (url) => benchRecommendations(url, startServer));
}

/** Without generated data: scale 0.01 in a scratch database, dropped afterwards. */
async function generatedRun(base: string) {
  const name = `eatsential_bench_${randomBytes(3).toString('hex')}`;
  console.log(
    `${new URL(base).pathname.slice(1)} holds no generated data (npm run bench:data): generating scale 0.01 in ${name}`,
  );
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    const owner = createSql({ url: url.toString() }, { max: 1 });
    await migrate(owner);
    await generate(owner, { scale: 0.01, keyring: process.env.NOTE_KEYRING });
    await owner.end();
    await run(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** One path: how to send it over HTTP, and the operation the API runs for it. */
interface Path {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly status: number;
  readonly body?: () => Record<string, unknown>;
  readonly query?: Record<string, string>;
  /** The route template, as the access log records it. */
  readonly template: string;
  /** Who sends it: the person with two years of logs, or another (whose new logs are removed afterwards). */
  readonly as?: 'writer';
}

async function run(url: string) {
  process.env.NOTE_KEYRING ??= benchKeyring;
  Object.assign(process.env, {
    DATABASE_URL: url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DB_POOL_MAX: String(concurrency),
    LOG_LEVEL: 'SILENT',
  });
  const owner = createSql({ url }, { max: 2 });
  await migrate(owner);
  // The person of the insights path: two years of daily mood, stress and sleep logs.
  const [person] = await owner<{ id: string; entries: number }[]>`
    select u.id, (select count(*)::int from health.mood_logs m where m.user_id = u.id) as entries
    from public.users u where u.username like 'daily\\_%' order by u.username limit 1`;
  // The writer: another person who tracks, so the new mood logs do not change what is read.
  const [writer] = await owner<{ id: string }[]>`
    select u.id from public.users u
    where u.username like 'user\\_%' and public.has_active_consent(u.id, 'mental_health_tracking')
    order by u.username limit 1`;
  const started = new Date();
  const signIn = async (userId: string): Promise<Caller> => {
    const [session] = await owner<{ id: string }[]>`
      insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
      values (${userId}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
    return { userId, role: 'user', sessionId: session!.id };
  };
  const callers = { reader: await signIn(person!.id), writer: await signIn(writer!.id) };
  const [sizes] = await owner<{ users: number; moods: number; version: string }[]>`
    select (select count(*)::int from public.users) as users, (select count(*)::int from health.mood_logs) as moods,
           current_setting('server_version') as version`;

  const { signAccessToken } = await import('../functions/core/tokens');
  const tokens = {
    reader: await signAccessToken(callers.reader),
    writer: await signAccessToken(callers.writer),
  };
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const paths: Path[] = [
    { name: 'GET /me', method: 'GET', path: '/me', template: '/me', status: 200 },
    {
      name: 'POST /me/mood-logs',
      method: 'POST',
      path: '/me/mood-logs',
      template: '/me/mood-logs',
      status: 201,
      as: 'writer',
      body: () => ({
        id: randomUUID(),
        mood_score: 7,
        energy_level: 6,
        context: 'work',
        notes: 'Calmer after a walk',
      }),
    },
    {
      name: 'GET /me/mood-logs (a month)',
      method: 'GET',
      path: `/me/mood-logs?from=${monthAgo}&to=${today}`,
      query: { from: monthAgo, to: today },
      template: '/me/mood-logs',
      status: 200,
    },
    {
      name: 'GET /me/insights?period=month',
      method: 'GET',
      path: '/me/insights?period=month',
      query: { period: 'month' },
      template: '/me/insights',
      status: 200,
    },
  ];

  const http = (base: string, agent: Agent, p: Path) => () =>
    new Promise<void>((resolve, reject) => {
      const body = p.body ? JSON.stringify(p.body()) : undefined;
      const req = request(
        `${base}${p.path}`,
        {
          method: p.method,
          agent,
          headers: {
            authorization: `Bearer ${tokens[p.as ?? 'reader']}`,
            ...(body
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === p.status
              ? resolve()
              : reject(new Error(`${p.name} answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const { routes } = await import('../functions/routes');
  const direct = (sql: Sql, p: Path) => {
    const route = routes.find((r) => r.method === p.method && r.path === p.template);
    if (!route) throw new Error(`no route ${p.method} ${p.template}`);
    const schemas = route.schemas as {
      query?: { parse(v: unknown): unknown };
      body?: { parse(v: unknown): unknown };
    };
    const load = import(`../functions/${route.domain}/operations`) as Promise<{
      operations: Record<string, (input: unknown) => Promise<unknown>>;
      /** The domain's statement sent with BEGIN, as its handler passes it to handlerFor. */
      context?: (caller: Caller, route: object) => string | undefined;
    }>;
    const caller = callers[p.as ?? 'reader'];
    return async () => {
      const { operations, context } = await load;
      const extra = context?.(caller, route);
      const t = performance.now();
      await transaction(
        sql,
        { role: 'eatsential_write', userId: caller.userId },
        async (tx, { prologue, atCommit }) =>
          operations[route.operationId]!({
            tx,
            sql,
            caller: confirmed(prologue[0] ?? [], caller),
            params: undefined,
            query: schemas.query?.parse(p.query ?? {}),
            body: p.body ? schemas.body?.parse(p.body()) : undefined,
            request: { id: randomUUID(), ip: '127.0.0.1', userAgent: 'bench', ifMatch: null },
            context: extra === undefined ? undefined : prologue[1],
            atCommit,
          }),
        {
          prologue: extra === undefined ? [sessionCheck(caller)] : [sessionCheck(caller), extra],
          epilogue: {
            statement: () =>
              accessLogStatement({
                userId: caller.userId,
                sessionId: caller.sessionId,
                ip: '127.0.0.1',
                userAgent: 'bench',
                endpoint: p.template,
                method: p.method,
                status: p.status,
                ms: Math.round(performance.now() - t),
              }),
          },
        },
      );
    };
  };

  console.log(
    `${sizes!.users} users, ${sizes!.moods} mood logs; the person has ${person!.entries} mood logs over two years; concurrency ${concurrency}, ${seconds} s each, PostgreSQL ${sizes!.version}`,
  );
  // The API in its own process, as npm start runs it: the load generator does not share its CPU.
  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const sql = createSql({ url }, { max: concurrency });
  const rows: Figures[] = [];
  const ratios: string[] = [];
  const sides: string[] = [];
  for (const p of paths) {
    const api = http(server.url, agent, p);
    const same = direct(sql, p);
    await load(concurrency, 1, api);
    await load(concurrency, 1, same);
    const since = new Date();
    const a = figures(`${p.name}: API`, await load(concurrency, seconds, api), seconds);
    const goal = p.template === '/me/insights' ? ' (goal: p99 under 50 ms)' : '';
    sides.push(`${p.name.padEnd(34)} ${await serverSide(owner, p.template, p.method, since)}${goal}`);
    const d = figures(`${p.name}: direct`, await load(concurrency, seconds, same), seconds);
    rows.push(a, d);
    ratios.push(`${p.name.padEnd(34)} ${(a.perSecond / d.perSecond).toFixed(2)}`);
  }
  printTable(rows);
  console.log(`ratio API/direct (req/s; goal: at least ${ratioGoal.toFixed(2)} on every path)`);
  for (const r of ratios) console.log(`  ${r}`);
  console.log(`server-side, the API runs (the handler's own duration, from audit.access_logs)`);
  for (const r of sides) console.log(`  ${r}`);
  console.log(`rss of the load generator: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  agent.destroy();
  await server.stop();
  await sql.end();

  // One request at a time over a single connection through the relay: its cost on the wire.
  const [stat] = await owner<{ loaded: boolean }[]>`
    select current_setting('shared_preload_libraries') ~ '(^|[\\s,])pg_stat_statements([\\s,]|$)' as loaded`;
  console.log(
    stat?.loaded
      ? 'statements per request: counted on the wire (pg_stat_statements is loaded too: npm run db:report lists its slowest)'
      : 'statements per request: counted on the wire (pg_stat_statements is not loaded by this server: shared_preload_libraries)',
  );
  const wire = await startWire(url);
  const counted = await startServer({ DATABASE_URL: wire.url, DB_POOL_MAX: '1' });
  const countedAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const wired = createSql({ url: wire.url }, { max: 1 });
  for (const p of paths) {
    const api = http(counted.url, countedAgent, p);
    const same = direct(wired, p);
    await api();
    await same();
    const a = await perCall(wire, 20, api);
    const d = await perCall(wire, 20, same);
    console.log(
      `  ${p.name.padEnd(34)} API ${a.statements} statements in ${a.roundTrips} round trips; direct ${d.statements} in ${d.roundTrips}${p.method === 'GET' ? ' (goal: at most 4 round trips)' : ''}`,
    );
  }
  countedAgent.destroy();
  await counted.stop();
  await wired.end();
  await wire.close();
  // What the bench wrote: the writer's new mood logs (and their audit rows), the sessions.
  await owner`delete from health.mood_logs where user_id = ${writer!.id} and created_at >= ${started}`;
  await owner`delete from audit.data_changes where subject_user_id = ${writer!.id} and changed_at >= ${started}`;
  await owner`delete from auth.user_sessions where id in ${owner([callers.reader.sessionId, callers.writer.sessionId])}`;
  await owner.end();
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
