import {
  arrangeUser,
  callAsUser,
  callPublic,
  failure,
  goodPassword,
  login,
  newMailTo,
  onlyMailTo,
  useApiRole,
} from './support';
import { me, sessionsPage, adminUsersPage } from '../../functions/identity/schemas';
import { useTestDatabase } from '../support';

describe('my account', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('shows my account without its password hash', async () => {
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    const body = await callAsUser(api, 'getMe', caller);

    expect(me.parse(body)).toEqual({
      id: user.id,
      username: user.username,
      email: user.email,
      is_email_verified: true,
      role: 'user',
      time_zone: 'UTC',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(body)).not.toContain('scrypt');
  });

  it('changes my username and time zone', async () => {
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    const body = await callAsUser(api, 'updateMe', caller, {
      body: { username: 'Renamed_User', time_zone: 'Asia/Tokyo' },
    });

    expect(me.parse(body)).toMatchObject({ username: 'Renamed_User', time_zone: 'Asia/Tokyo' });
    const [row] = await db.sql`select username, time_zone from public.users where id = ${user.id}`;
    expect(row).toEqual({ username: 'Renamed_User', time_zone: 'Asia/Tokyo' });
  });

  it("refuses another account's username whatever its case, with 409 username_taken", async () => {
    const taken = await arrangeUser(db.sql);
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    const refused = await failure(
      callAsUser(api, 'updateMe', caller, { body: { username: taken.username.toUpperCase() } }),
    );

    expect(refused).toMatchObject({ status: 409, code: 'username_taken' });
  });

  it('deletes my account: sessions end, login is refused, the address and username are free again', async () => {
    const user = await arrangeUser(db.sql);
    const first = await login(api, user);
    await login(api, user);

    const answer = (await callAsUser(api, 'deleteMe', first.caller)) as {
      deleted_at: string;
      deletion_complete_by: string;
    };

    expect(answer).toMatchObject({ status: 'deleting' });
    expect(Date.parse(answer.deletion_complete_by) - Date.parse(answer.deleted_at)).toBe(24 * 3_600_000);

    const [row] =
      await db.sql`select deleted_at is not null as deleted, is_active from public.users where id = ${user.id}`;
    expect(row).toEqual({ deleted: true, is_active: false });
    const reasons = await db.sql`select revoked_reason from auth.user_sessions where user_id = ${user.id}`;
    expect(reasons.map((r) => r.revoked_reason)).toEqual(['account_deleted', 'account_deleted']);
    expect(
      await failure(callPublic(api, 'login', { email: user.email, password: goodPassword })),
    ).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    });
    await callPublic(api, 'register', {
      username: user.username,
      email: user.email,
      password: 'amber kettle moonrise',
    });
    expect((await onlyMailTo(db, user.email)).subject).toBe('Confirm your email address');
  });
});

describe('my sessions', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('lists my live sessions newest first, page by page, marking the current one', async () => {
    const user = await arrangeUser(db.sql);
    const sessions = [];
    for (const device of ['phone', 'tablet', 'laptop', 'watch'])
      sessions.push(await login(api, user, { deviceName: device }));
    const revoked = sessions[3] as (typeof sessions)[number];
    await callAsUser(api, 'logout', revoked.caller);
    const { caller } = sessions[1] as (typeof sessions)[number];

    const first = sessionsPage.parse(
      await callAsUser(api, 'listSessions', caller, { query: { limit: '2' } }),
    );
    const second = sessionsPage.parse(
      await callAsUser(api, 'listSessions', caller, { query: { limit: '2', cursor: first.next_cursor } }),
    );

    expect(first.items.map((s) => s.device_name)).toEqual(['laptop', 'tablet']);
    expect(first.items.map((s) => s.current)).toEqual([false, true]);
    expect(first.next_cursor).toEqual(expect.any(String));
    expect(second.items.map((s) => s.device_name)).toEqual(['phone']);
    expect(second.next_cursor).toBeNull();
    expect(first.items[0]).toMatchObject({ user_agent: 'jest/identity', ip_address: '203.0.113.7' });
  });

  it('refuses a cursor it did not issue with 400 invalid_cursor', async () => {
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    expect(
      await failure(callAsUser(api, 'listSessions', caller, { query: { cursor: 'bm90IGEgY3Vyc29y' } })),
    ).toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
  });

  it('revokes one of my other sessions', async () => {
    const user = await arrangeUser(db.sql);
    const other = await login(api, user);
    const { caller } = await login(api, user);

    await callAsUser(api, 'revokeSession', caller, { params: { sessionId: other.caller.sessionId } });

    const [row] =
      await db.sql`select revoked_reason from auth.user_sessions where id = ${other.caller.sessionId}`;
    expect(row?.revoked_reason).toBe('user_revoked');
    expect(
      await failure(callPublic(api, 'refresh', { refresh_token: other.tokens.refresh_token })),
    ).toMatchObject({
      code: 'invalid_token',
    });
    expect(
      await failure(
        callAsUser(api, 'revokeSession', caller, { params: { sessionId: other.caller.sessionId } }),
      ),
    ).toMatchObject({
      status: 404,
      code: 'session_not_found',
    });
  });

  it("neither lists nor revokes another user's sessions", async () => {
    const alice = await login(api, await arrangeUser(db.sql));
    const bob = await login(api, await arrangeUser(db.sql));

    const listed = sessionsPage.parse(await callAsUser(api, 'listSessions', alice.caller));
    const refused = await failure(
      callAsUser(api, 'revokeSession', alice.caller, { params: { sessionId: bob.caller.sessionId } }),
    );

    expect(listed.items.map((s) => s.id)).toEqual([alice.caller.sessionId]);
    expect(refused).toMatchObject({ status: 404, code: 'session_not_found' });
    const [row] = await db.sql`select revoked_at from auth.user_sessions where id = ${bob.caller.sessionId}`;
    expect(row?.revoked_at).toBeNull();
  });

  it("does not change another user's account through my own", async () => {
    const alice = await login(api, await arrangeUser(db.sql));
    const bobUser = await arrangeUser(db.sql);
    const forged = { ...alice.caller, userId: bobUser.id };

    // A transaction acting as Alice whose caller claims Bob: row-level security still confines it to Alice.
    const { asUser } = await import('../../functions/core/db');
    const { operations } = await import('../../functions/identity/operations');
    const attempt = asUser(api.sql, alice.caller.userId, (tx) =>
      operations.updateMe({
        params: undefined,
        query: undefined,
        body: { time_zone: 'Asia/Tokyo' },
        caller: forged,
        tx,
        sql: api.sql,
        request: { id: 't', ip: null, userAgent: null, ifMatch: null },
      }),
    );

    expect(await failure(attempt)).toMatchObject({ status: 404 });
    const [row] = await db.sql`select time_zone from public.users where id = ${bobUser.id}`;
    expect(row?.time_zone).toBe('UTC');
  });
});

describe('accounts for administrators', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('lists accounts newest first without their email addresses', async () => {
    const admin = await arrangeUser(db.sql, { role: 'admin' });
    const older = await arrangeUser(db.sql);
    const newer = await arrangeUser(db.sql);
    await db.sql`update public.users set created_at = now() + interval '1 second' where id = ${older.id}`;
    await db.sql`update public.users set created_at = now() + interval '2 seconds' where id = ${newer.id}`;
    const { caller } = await login(api, admin, { role: 'admin' });

    const first = adminUsersPage.parse(await callAsUser(api, 'listUsers', caller, { query: { limit: '2' } }));
    const second = adminUsersPage.parse(
      await callAsUser(api, 'listUsers', caller, { query: { cursor: first.next_cursor } }),
    );

    expect([...first.items, ...second.items].map((u) => u.id)).toEqual([newer.id, older.id, admin.id]);
    expect(JSON.stringify([first, second])).not.toContain('@');
    expect(second.next_cursor).toBeNull();
    await newMailTo(db, admin.email);
  });
});
