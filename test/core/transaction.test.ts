import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { transaction } from '../../functions/core/db';
import { intLiteral, textLiteral, uuidLiteral } from '../../functions/core/literal';
import { confirmed, sessionCheck } from '../../functions/core/session';
import { startWire, perCall, type Wire } from '../../bench/wire';
import { createUser, onPostgres, testJwtSecret, testNoteKeyring, useTestDatabase } from '../support';
import { useApiRole } from '../identity/support';

const db = useTestDatabase();

describe('SQL literals', () => {
  // Strings that break naive quoting, and random code points (lone surrogates included).
  const nasty = [
    '',
    "'",
    "''; drop table public.users; --",
    '\\',
    "\\'",
    '$$',
    '$tag$ x $tag$',
    "E'\\x41'",
    '\u0000end',
    'naïve façade 日本語 🥗',
    '\ud800 lone \udfff',
    '\r\n\t',
  ];
  const random = Array.from({ length: 200 }, () =>
    String.fromCharCode(...Array.from(randomBytes(24), (b, i) => (b << 8) | (randomBytes(1)[0]! ^ i))),
  );

  it('carry any string exactly (less NUL, which text cannot hold)', async () => {
    for (const value of [...nasty, ...random]) {
      const [row] = await db.sql.unsafe<{ v: string }[]>(`select ${textLiteral(value)} as v`);
      expect(row?.v).toBe(Buffer.from(value.replace(/\0/g, ''), 'utf8').toString('utf8'));
    }
  });

  it('refuse what they cannot render safely', () => {
    expect(() => uuidLiteral("00000000-0000-0000-0000-000000000000'; --")).toThrow('not a UUID');
    expect(() => intLiteral(1.5)).toThrow('not a safe integer');
    expect(() => intLiteral(Number.NaN)).toThrow('not a safe integer');
    expect(uuidLiteral(null)).toBe('null');
    expect(textLiteral(null)).toBe('null');
  });
});

describe('a signed-in request on the wire', () => {
  let wire: Wire;
  let server: Server | undefined;
  let url = '';
  beforeAll(async () => {
    wire = await startWire(db.url);
    process.env.DATABASE_URL = wire.url;
    process.env.JWT_SECRET = testJwtSecret;
    process.env.NOTE_KEYRING = JSON.stringify(testNoteKeyring);
    process.env.DB_POOL_MAX = '1';
    const { createApiServer } = await import('../../functions/local/server');
    server = createApiServer();
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
    const { resetDatabase } = await import('../../functions/core/db');
    await resetDatabase();
    await wire.close();
  });

  it('GET /me: BEGIN with the session check, the query, COMMIT with the access-log row: 4 round trips', async () => {
    const user = await createUser(db);
    const getMe = async () => {
      const r = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    };
    await getMe(); // the connection is opened here
    const cost = await perCall(wire, 5, getMe);
    expect(cost).toEqual({ statements: 5, roundTrips: 4 });
    const [logged] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from audit.access_logs where user_id = ${user.id} and status_code = 200 and endpoint = '/me'`;
    expect(logged?.n).toBe(6);
  });

  it('a wellness read, insights and a wellness write: the consent travels with BEGIN, the read audit with COMMIT: 4 round trips', async () => {
    const user = await createUser(db);
    const call = (method: string, path: string, body?: unknown) => async () => {
      const r = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${user.token}`,
          ...(body ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(r.status).toBeLessThan(300);
      await r.arrayBuffer();
    };
    await call('PUT', '/me/consents/mental_health_tracking', { policy_version: '2026-12' })();
    const write = await perCall(wire, 3, () =>
      call('POST', '/me/mood-logs', {
        id: randomUUID(),
        mood_score: 7,
        logged_at: new Date().toISOString(),
      })(),
    );
    // BEGIN with the session and consent checks; the idempotency claim, the insert and the stored
    // answer; COMMIT with the access-log row.
    expect(write.roundTrips).toBe(4);
    const read = await perCall(wire, 3, call('GET', '/me/mood-logs'));
    expect(read).toEqual({ statements: 7, roundTrips: 4 });
    const [audited] = await db.sql<{ n: number; rows: number }[]>`
      select count(*)::int as n, max(row_count)::int as rows from audit.data_reads
      where user_id = ${user.id} and route = 'GET /me/mood-logs'`;
    expect(audited).toEqual({ n: 3, rows: 3 });
    // Insights need the person's today: the time zone comes back with the consent check.
    const insights = await perCall(wire, 3, call('GET', '/me/insights?period=week'));
    expect(insights.roundTrips).toBe(4);
  });

  it('GET /me/health: the whole picture, six reads pipelined in one round trip, 4 in all', async () => {
    const user = await createUser(db);
    const one = async () => {
      const r = await fetch(`${url}/me/health`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    };
    await one(); // the first also reads what the container then keeps
    const cost = await perCall(wire, 3, one);
    expect(cost).toEqual({ statements: 10, roundTrips: 4 });
  });

  it('a refused request still leaves its access-log row, with the refusal status', async () => {
    const user = await createUser(db);
    const r = await fetch(`${url}/me/sessions/${randomUUID()}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(r.status).toBe(404);
    const rows = await db.sql<{ status_code: number; endpoint: string }[]>`
      select status_code, endpoint from audit.access_logs where user_id = ${user.id}`;
    expect(rows).toEqual([{ status_code: 404, endpoint: '/me/sessions/{sessionId}' }]);
  });

  it('an ended session answers 401 and is logged as such', async () => {
    const user = await createUser(db);
    await db.sql`update auth.user_sessions set revoked_at = now(), revoked_reason = 'logout' where id = ${user.sessionId}`;
    const r = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { code: string }).code).toBe('session_ended');
    const rows = await db.sql<{ status_code: number }[]>`
      select status_code from audit.access_logs where session_id = ${user.sessionId}`;
    expect(rows).toEqual([{ status_code: 401 }]);
  });
});

describe('the session check', () => {
  const api = useApiRole(db);

  // PGlite serves every client from one session: only PostgreSQL can log in as the API's role.
  (onPostgres ? it : it.skip)(
    'runs as the login role and sets the user only for a live session',
    async () => {
      const user = await createUser(db);
      const caller = { userId: user.id, sessionId: user.sessionId, role: 'user' as const };
      const seen = async () =>
        transaction(
          api.sql,
          { role: 'eatsential_write', userId: user.id },
          async (tx, { prologue }) => {
            const [row] = await tx<{ uid: string | null; who: string }[]>`
            select auth.current_user_id() as uid, current_user as who`;
            return { role: (prologue[0]?.[0]?.role as string | null) ?? null, ...row };
          },
          { prologue: sessionCheck(caller) },
        );
      expect(await seen()).toEqual({ role: 'user', uid: user.id, who: 'eatsential_write' });
      await db.sql`update auth.user_sessions set revoked_at = now(), revoked_reason = 'logout' where id = ${user.sessionId}`;
      expect(await seen()).toEqual({ role: null, uid: null, who: 'eatsential_write' });
      expect(() => confirmed([{ role: null }], caller)).toThrow(
        expect.objectContaining({ code: 'session_ended' }),
      );
    },
  );
});

describe('the transaction helper', () => {
  beforeAll(async () => {
    await db.sql.unsafe(`
      create table public.tx_parent (id int primary key);
      create table public.tx_child (parent int references public.tx_parent deferrable initially deferred)`);
  });

  const epilogue = () => {
    const seen: { outcomes: string[]; settled: unknown[] } = { outcomes: [], settled: [] };
    return {
      seen,
      epilogue: {
        statement: (o: { value: unknown } | { error: unknown }) => {
          seen.outcomes.push(
            'error' in o ? `error ${(o.error as { code?: string }).code ?? 'thrown'}` : 'value',
          );
          return `select ${seen.outcomes.length} as n`;
        },
        settled: (rows: readonly Record<string, unknown>[] | undefined) => seen.settled.push(rows?.[0]?.n),
      },
    };
  };

  it('hands the prologue rows to the work and runs the epilogue after COMMIT', async () => {
    const e = epilogue();
    const value = await transaction(
      db.sql,
      { role: 'eatsential_admin' },
      async (tx, { prologue }) => {
        const [row] = await tx<{ open: boolean }[]>`select now() = statement_timestamp() as open`;
        return { context: prologue, open: row?.open };
      },
      { prologue: `select 'here' as p`, epilogue: e.epilogue },
    );
    // Inside a transaction now() is the transaction's start, not the statement's.
    expect(value).toEqual({ context: [[{ p: 'here' }]], open: false });
    expect(e.seen).toEqual({ outcomes: ['value'], settled: [1] });
  });

  it('a failed COMMIT is the error, and the epilogue then goes with ROLLBACK, seeing it', async () => {
    const e = epilogue();
    await expect(
      transaction(
        db.sql,
        { role: 'eatsential_admin' },
        async (tx) => {
          await tx`insert into public.tx_child values (1)`;
        },
        { prologue: 'select 1', epilogue: e.epilogue },
      ),
    ).rejects.toMatchObject({ code: '23503' });
    expect(e.seen).toEqual({ outcomes: ['value', 'error 23503'], settled: [2] });
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.tx_child`;
    expect(left?.n).toBe(0);
  });

  it('work that throws rolls back, and the epilogue sees the error', async () => {
    const e = epilogue();
    await expect(
      transaction(
        db.sql,
        { role: 'eatsential_admin' },
        async (tx) => {
          await tx`insert into public.tx_parent values (7)`;
          throw new Error('refused');
        },
        { prologue: 'select 1', epilogue: e.epilogue },
      ),
    ).rejects.toThrow('refused');
    expect(e.seen).toEqual({ outcomes: ['error thrown'], settled: [1] });
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.tx_parent`;
    expect(left?.n).toBe(0);
  });

  it('a statement queued for COMMIT that fails: nothing commits, and the connection is clean again', async () => {
    const e = epilogue();
    await expect(
      transaction(
        db.sql,
        { role: 'eatsential_admin' },
        async (tx, { atCommit }) => {
          await tx`insert into public.tx_parent values (8)`;
          atCommit('insert into public.tx_child values (9)');
          atCommit('insert into public.tx_parent values (8)');
        },
        { prologue: 'select 1', epilogue: e.epilogue },
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(e.seen).toEqual({ outcomes: ['value', 'error 23505'], settled: [2] });
    const [left] = await db.sql<{ p: number; c: number }[]>`
      select (select count(*)::int from public.tx_parent) as p, (select count(*)::int from public.tx_child) as c`;
    expect(left).toEqual({ p: 0, c: 0 });
    // The same reserved connection serves the next transaction.
    const again = await transaction(
      db.sql,
      { role: 'eatsential_admin' },
      async (tx, { prologue, atCommit }) => {
        atCommit('insert into public.tx_parent values (10)');
        return prologue;
      },
      { prologue: ['select 1 as a', 'select 2 as b where false'] },
    );
    expect(again).toEqual([[{ a: 1 }], []]);
    const [kept] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from public.tx_parent where id = 10`;
    expect(kept?.n).toBe(1);
  });

  it('refuses a prologue statement that answers no rows of its own', async () => {
    await expect(
      transaction(db.sql, { role: 'eatsential_admin' }, async () => 1, {
        prologue: ['select 1', "set local statement_timeout = '1s'"],
      }),
    ).rejects.toThrow('a prologue statement is not a SELECT');
  });

  it('the access-log statement answers its failure instead of raising it', async () => {
    const ok = await db.sql<{ failed: string | null }[]>`
      select audit.record_access(null, null, '10.0.0.1', 'ua', '/x', 'GET', 200, 1) as failed`;
    expect(ok).toEqual([{ failed: null }]);
    // A bad address fails its cast (22P02), a status outside 100-599 its CHECK (23514): no row.
    const bad = await db.sql<{ failed: string | null }[]>`
      select audit.record_access(null, null, 'not an address', 'ua', '/y', 'GET', 200, 1) as failed,
             audit.record_access(null, null, null, 'ua', '/y', 'GET', 99, 1) as status`;
    expect(bad).toEqual([{ failed: '22P02', status: '23514' }]);
    const rows = await db.sql`select 1 from audit.access_logs where endpoint = '/y'`;
    expect(rows).toHaveLength(0);
  });
});
