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

  it('GET /me: BEGIN with the session check, the query, COMMIT, the access-log row: 5 statements', async () => {
    const user = await createUser(db);
    const getMe = async () => {
      const r = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    };
    await getMe(); // the connection is opened here
    const cost = await perCall(wire, 5, getMe);
    expect(cost).toEqual({ statements: 5, roundTrips: 6 });
    const [logged] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from audit.access_logs where user_id = ${user.id} and status_code = 200 and endpoint = '/me'`;
    expect(logged?.n).toBe(6);
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
      const seen = async () => {
        let check: ReturnType<typeof sessionCheck> | undefined;
        return transaction(
          api.sql,
          { role: 'eatsential_write', userId: user.id },
          async (tx) => {
            const [row] = await tx<{ uid: string | null; who: string }[]>`
            select auth.current_user_id() as uid, current_user as who`;
            return { role: (await check)?.[0]?.role ?? null, ...row };
          },
          { prologue: (tx) => (check = sessionCheck(tx, caller)) },
        );
      };
      expect(await seen()).toEqual({ role: 'user', uid: user.id, who: 'eatsential_write' });
      await db.sql`update auth.user_sessions set revoked_at = now(), revoked_reason = 'logout' where id = ${user.sessionId}`;
      expect(await seen()).toEqual({ role: null, uid: null, who: 'eatsential_write' });
      await expect(confirmed(undefined, caller)).rejects.toMatchObject({ code: 'session_ended' });
    },
  );
});
