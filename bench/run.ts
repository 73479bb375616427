/**
 * `npm run bench`: first the cold start of every Lambda bundle (bench/coldstart.ts); then GET /me
 * at concurrency 16 through the local server (the real handler chain) beside the same SQL run
 * directly through postgres.js at the same concurrency, on the PostgreSQL named by DATABASE_URL,
 * with what one request costs on the wire (statements and round trips, bench/wire.ts). Prints
 * figures; never fails on them.
 *
 * `npm run bench -- recommendations` runs bench/recommendations.ts instead.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql, transaction, type Sql, type Tx } from '../functions/core/db';
import { writeAccessLog } from '../functions/core/accessLog';
import { confirmed, sessionCheck } from '../functions/core/session';
import type { Caller } from '../functions/core/tokens';
import { migrate } from '../sql/migrator';
import { coldStarts, printColdStarts } from './coldstart';
import { figures, load, printTable } from './load';
import { perCall, startWire } from './wire';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);

function startServer(env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'functions', 'local', 'start.ts')],
    {
      env: {
        ...process.env,
        ...env,
        PORT: '0',
        EATSENTIAL_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'eatsential-bench-')),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (m?.[1])
        resolve({
          url: m[1].replace('localhost', '127.0.0.1'),
          stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGINT'))),
        });
    });
    child.once('exit', (code) => reject(new Error(`the API server exited with ${code}: ${out}`)));
  });
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.error(
      'npm run bench needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres): it measures a real PostgreSQL',
    );
    process.exit(2);
  }
  if (process.argv[2] === 'recommendations') {
    const { benchRecommendations, withBenchDatabase } = await import('./recommendations');
    await withBenchDatabase(base, (url) => benchRecommendations(url, startServer));
    return;
  }

  console.log('Cold start: node -e "require(<bundle>)", whole process, median of interleaved runs');
  printColdStarts(await coldStarts());
  console.log('');

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
    DB_POOL_MAX: String(concurrency),
    LOG_LEVEL: 'SILENT',
  });
  const owner = createSql({ url }, { max: 2 });
  await migrate(owner);
  const [user] = await owner<{ id: string }[]>`
    insert into public.users (username, email, password_hash, is_email_verified)
    values ('bench_user', 'bench@example.com', 'scrypt$unusable', true) returning id`;
  const [session] = await owner<{ id: string }[]>`
    insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
    values (${user!.id}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
  const caller = { userId: user!.id, role: 'user' as const, sessionId: session!.id };

  const { signAccessToken } = await import('../functions/core/tokens');
  const q = await import('../functions/identity/queries');
  const token = await signAccessToken(caller);

  // The API in its own process, as npm start runs it: the load generator does not share its CPU.
  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const viaApi = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        `${server.url}/me`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`GET /me answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  const direct = createSql({ url }, { max: concurrency });
  const viaSql = () => sameSql(direct, caller, q.me);
  console.log(
    `GET /me, concurrency ${concurrency}, ${seconds} s each, PostgreSQL ${(await owner`show server_version`)[0]?.server_version}`,
  );
  await load(concurrency, 1, viaApi);
  await load(concurrency, 1, viaSql);
  const apiFigures = figures(
    'API: local server -> handler chain -> SQL',
    await load(concurrency, seconds, viaApi),
    seconds,
  );
  const sqlFigures = figures(
    'direct: the same SQL through postgres.js',
    await load(concurrency, seconds, viaSql),
    seconds,
  );
  printTable([apiFigures, sqlFigures]);
  const ratio = apiFigures.perSecond / sqlFigures.perSecond;
  console.log(`ratio API/direct: ${ratio.toFixed(2)} (goal: at least 0.50)`);
  console.log(`rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);

  agent.destroy();
  await server.stop();

  // One request at a time over a single connection through the relay: its cost on the wire.
  const wire = await startWire(url);
  const counted = await startServer({ DATABASE_URL: wire.url, DB_POOL_MAX: '1' });
  const countedAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const getMe = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        `${counted.url}/me`,
        { agent: countedAgent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`GET /me answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  const wired = createSql({ url: wire.url }, { max: 1 });
  await getMe();
  await sameSql(wired, caller, q.me);
  const apiWire = await perCall(wire, 50, getMe);
  const sqlWire = await perCall(wire, 50, () => sameSql(wired, caller, q.me));
  console.log(
    `GET /me on the wire, per request: API ${apiWire.statements} statements in ${apiWire.roundTrips} round trips; direct ${sqlWire.statements} in ${sqlWire.roundTrips} (goal: at most 4 round trips)`,
  );
  countedAgent.destroy();
  await counted.stop();
  await wired.end();
  await wire.close();
  await direct.end();
  await owner.end();
}

/**
 * What the API does in the database for GET /me, through the same helpers: BEGIN with the session
 * check, the query, then COMMIT with the access-log row.
 */
async function sameSql(sql: Sql, caller: Caller, query: (tx: Tx, userId: string) => Promise<unknown>) {
  const t = performance.now();
  let check: ReturnType<typeof sessionCheck> | undefined;
  await transaction(
    sql,
    { role: 'eatsential_write', userId: caller.userId },
    async (tx) => {
      await confirmed(check, caller);
      await query(tx, caller.userId);
    },
    {
      prologue: (tx) => (check = sessionCheck(tx, caller)),
      epilogue: (after) => {
        const row = writeAccessLog(after, {
          userId: caller.userId,
          sessionId: caller.sessionId,
          ip: '127.0.0.1',
          userAgent: 'bench',
          endpoint: '/me',
          method: 'GET',
          status: 200,
          ms: Math.round(performance.now() - t),
        });
        row.execute();
        return row;
      },
    },
  );
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
