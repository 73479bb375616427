import { randomUUID } from 'node:crypto';
import { routeKey } from '../../functions/core/route';
import { createUser, type TestApi } from './api';
import { readAll, readers, send, uuidsIn, type User } from './people';
import { allRoutes, paramNames, sampleValid, type GeneratedRequest } from './routeInputs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LoadReport {
  writes: number;
  acknowledged: number;
  /** Acknowledged only after one or more retries with the same Idempotency-Key. */
  acknowledgedAfterRetry: number;
  acknowledgedAfterRestart: number;
  /** Answers 5xx (and dropped connections) while the database was away, by status. */
  outage: Record<string, number>;
  lost: number;
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
      !paramNames(r).length,
  );
  if (!creators.length) throw new Error('the route table has no creating idempotent route');
  const probe = await createUser(api.db);
  const references = [...new Set(await readAll(api, probe.token))].filter(
    (id) => id !== probe.id && id !== probe.sessionId,
  );
  const bodies = creators.map((route) => sampleValid(route, 12, { ids: references, seed: 3 }));
  const users: User[] = [];
  // Enough people that the clients are still writing when the server comes back.
  const wanted = options.users ?? 400;
  while (users.length < wanted)
    users.push(...(await Promise.all(Array.from({ length: 10 }, () => createUser(api.db)))));
  const report: LoadReport = {
    writes: 0,
    acknowledged: 0,
    acknowledgedAfterRetry: 0,
    acknowledgedAfterRestart: 0,
    outage: {},
    lost: 0,
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
      } catch {
        report.outage['connection dropped'] = (report.outage['connection dropped'] ?? 0) + 1;
      }
      if (status && status < 500) {
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
  await sleep(1500);
  await fault();
  restartedAt = Date.now();
  await sleep(2500);
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
    if (!id || !uuidsIn(answers).includes(id.toLowerCase())) report.lost += 1;
    else if (copiesOf(ack.body, answers) > 1) report.duplicates += 1;
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
