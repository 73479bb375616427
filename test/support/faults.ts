import { randomUUID } from 'node:crypto';
import { routeKey } from '../../functions/core/route';
import { ContractError, createUser, type TestApi } from './api';
import { prepare, readers, seedWorld, send, uuidsIn, type User } from './people';
import { allRoutes, paramNames, sampleValid, type GeneratedRequest } from './routeInputs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LoadReport {
  writes: number;
  acknowledged: number;
  /** Acknowledged before the server was stopped. */
  acknowledgedBeforeFault: number;
  /** Acknowledged only after one or more retries with the same Idempotency-Key. */
  acknowledgedAfterRetry: number;
  acknowledgedAfterRestart: number;
  /** Answers 5xx (and dropped connections) while the database was away, by status. */
  outage: Record<string, number>;
  /** Writes answered 3xx or 4xx (not acknowledged, so nothing to lose), by status. */
  refused: Record<string, number>;
  lost: number;
  /** Lost writes by route. */
  lostBy: Record<string, number>;
  duplicates: number;
  ms: number;
}

interface Ack {
  user: User;
  req: GeneratedRequest;
  key: string;
  body: unknown;
  status: number;
  at: number;
}

/**
 * Writes through every creating, idempotent, signed-in route of the table (one new person per
 * write, bodies from the route's schema) from `workers` concurrent clients while `fault` runs.
 * A write that fails (5xx or a dropped connection) is retried with the same Idempotency-Key
 * until it is answered. Then every acknowledged write must be readable by its person, exactly
 * once, and a replay of its key answers the same record.
 */
export async function writeThroughFault(
  api: TestApi,
  fault: () => Promise<void>,
  options: { workers?: number; users?: number } = {},
): Promise<LoadReport> {
  const creators = allRoutes.filter(
    (r) =>
      r.access === 'user' &&
      r.method === 'POST' &&
      r.idempotent &&
      r.throttle !== 'auth' &&
      !paramNames(r).length &&
      // What it made can be read back: a list at its path, or a record under it.
      allRoutes.some((g) => g.method === 'GET' && (g.path === r.path || g.path.startsWith(`${r.path}/{`))),
  );
  if (!creators.length) throw new Error('the route table has no creating idempotent route');
  // The catalogue and references the bodies name, then bodies each route accepted once.
  const world = await seedWorld(api);
  const o = { idsFor: world.pool.idsFor, codesFor: world.pool.codesFor };
  const tester = await createUser(api.db);
  await prepare(api, tester, o);
  const bodies: GeneratedRequest[][] = [];
  for (const route of creators) {
    const accepted: GeneratedRequest[] = [];
    for (const req of sampleValid(route, 16, { ...o, seed: 3 })) {
      const r = await send(
        api,
        { ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } },
        tester.token,
      );
      if (r.status < 300) accepted.push(req);
    }
    if (!accepted.length) throw new Error(`${routeKey(route)} accepted none of the generated bodies`);
    bodies.push(accepted);
  }
  // One new person per write (each person's lists then hold one record per route), prepared
  // (consents) before the load, enough that the clients still write when the server is back.
  const users: User[] = [];
  const wanted = options.users ?? 240;
  while (users.length < wanted)
    users.push(
      ...(await Promise.all(
        Array.from({ length: 8 }, async () => {
          const user = await createUser(api.db);
          await prepare(api, user, o);
          return user;
        }),
      )),
    );
  const report: LoadReport = {
    writes: 0,
    acknowledged: 0,
    acknowledgedBeforeFault: 0,
    acknowledgedAfterRetry: 0,
    acknowledgedAfterRestart: 0,
    outage: {},
    refused: {},
    lost: 0,
    lostBy: {},
    duplicates: 0,
    ms: 0,
  };
  const acks: Ack[] = [];
  const started = Date.now();
  let stopping = false;
  let restartedAt = Infinity;
  let next = 0;

  const write = async (i: number) => {
    const user = users[i] as User;
    const list = bodies[i % creators.length] as GeneratedRequest[];
    const base = list[Math.floor(i / creators.length) % list.length] as GeneratedRequest;
    const key = randomUUID();
    const req = { ...base, headers: { ...base.headers, 'idempotency-key': key } };
    report.writes += 1;
    for (let attempt = 0; attempt < 600; attempt += 1) {
      let status = 0;
      let body: unknown;
      try {
        const r = await send(api, req, user.token);
        status = r.status;
        body = r.body;
        if (status >= 500) {
          const code = (body as { code?: string } | undefined)?.code ?? '';
          report.outage[`${status} ${code}`] = (report.outage[`${status} ${code}`] ?? 0) + 1;
        }
      } catch (e) {
        if (e instanceof ContractError) throw e;
        report.outage['connection dropped'] = (report.outage['connection dropped'] ?? 0) + 1;
      }
      if (status && status < 500) {
        if (status >= 300) report.refused[status] = (report.refused[status] ?? 0) + 1;
        if (status < 300) {
          acks.push({ user, req, key, body, status, at: Date.now() });
          report.acknowledged += 1;
          if (attempt > 0) report.acknowledgedAfterRetry += 1;
        }
        return;
      }
      await sleep(100);
    }
    throw new Error(`${routeKey(creators[i % creators.length]!)} was not answered in 60 s`);
  };

  const worker = async () => {
    while (!stopping && next < users.length) await write(next++);
  };
  const running = Array.from({ length: options.workers ?? 8 }, worker);
  // Writing before the fault, then through it, then after it.
  while (report.acknowledged < 20 && next < users.length / 3) await sleep(50);
  const before = report.acknowledged;
  await fault();
  restartedAt = Date.now();
  report.acknowledgedBeforeFault = before;
  while (acks.filter((a) => a.at > restartedAt).length < 20 && next < users.length) await sleep(50);
  stopping = true;
  await Promise.all(running);
  // The owner's own client reconnects too (its connection died with the server).
  for (let i = 0; i < 100; i += 1) {
    try {
      await api.db.sql`select 1`;
      break;
    } catch {
      await sleep(100);
    }
  }
  report.acknowledgedAfterRestart = acks.filter((a) => a.at > restartedAt).length;
  report.ms = Date.now() - started;

  // Every acknowledged write is there, once; its key replays the same answer.
  for (const ack of acks) {
    const id = (ack.body as { id?: string } | undefined)?.id;
    const answers = await readAnswers(api, ack.user.token);
    if (!id || !uuidsIn(answers).includes(id.toLowerCase())) {
      report.lost += 1;
      const where = `${ack.req.method} ${ack.req.target.split('?')[0]}`;
      report.lostBy[where] = (report.lostBy[where] ?? 0) + 1;
    } else if (copiesOf(ack.body, answers) > 1) report.duplicates += 1;
    const replay = await send(api, ack.req, ack.user.token);
    if (replay.status !== ack.status || JSON.stringify(replay.body) !== JSON.stringify(ack.body))
      report.duplicates += 1;
  }
  return report;
}

/** The bodies of a person's successful reads: every signed-in GET without path parameters. */
async function readAnswers(api: TestApi, token: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const r of readers()) {
    const answer = await api.request('GET', r.path, { token });
    if (answer.status === 200) out.push(answer.body);
  }
  return out;
}

/** A record without what differs between two copies of it: its id and timestamps. */
const content = (v: unknown) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return JSON.stringify(v);
  const { id: _id, created_at: _c, updated_at: _u, ...rest } = v as Record<string, unknown>;
  return JSON.stringify(rest);
};

/** In the lists holding the record, how many records have its content (a duplicate makes two). */
function copiesOf(record: unknown, answers: unknown[]): number {
  const id = (record as { id?: string }).id;
  let most = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (v.some((e) => (e as { id?: string } | null)?.id === id))
        most = Math.max(most, v.filter((e) => content(e) === content(record)).length);
      v.forEach(walk);
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  answers.forEach(walk);
  return most;
}
