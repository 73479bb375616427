import { createUser, useApi } from '../support';

const api = useApi();

describe("one user's token and another user's account", () => {
  it('never reads or changes the other account or its sessions', async () => {
    const a = await createUser(api.db);
    const b = await createUser(api.db);

    const me = await api.request('GET', '/me', { token: a.token });
    expect(me.body.id).toBe(a.id);

    const sessions = await api.request('GET', '/me/sessions', { token: a.token });
    expect(sessions.body.items.map((s: { id: string }) => s.id)).toEqual([a.sessionId]);

    const revoke = await api.request('DELETE', `/me/sessions/${b.sessionId}`, { token: a.token });
    expect(revoke.status).toBe(404);
    const [bSession] = await api.db.sql`select revoked_at from auth.user_sessions where id = ${b.sessionId}`;
    expect(bSession?.revoked_at).toBeNull();

    const rename = await api.request('PATCH', '/me', { token: a.token, body: { username: b.username } });
    expect(rename.status).toBe(409);
    const [bRow] = await api.db.sql`select username, deleted_at from public.users where id = ${b.id}`;
    expect(bRow).toEqual({ username: b.username, deleted_at: null });

    expect((await api.request('DELETE', '/me', { token: a.token })).status).toBe(202);
    const [stillThere] = await api.db.sql`select deleted_at from public.users where id = ${b.id}`;
    expect(stillThere?.deleted_at).toBeNull();
    expect((await api.request('GET', '/me', { token: b.token })).status).toBe(200);
    expect((await api.request('GET', '/me', { token: a.token })).status).toBe(401);
  });

  it('pages through sessions with a cursor, newest first', async () => {
    const a = await createUser(api.db);
    await api.db.sql`
      insert into auth.user_sessions (user_id, refresh_token_hash, expires_at, created_at)
      select ${a.id}, sha256(random()::text::bytea), now() + interval '1 day', now() - make_interval(mins => g)
      from generate_series(1, 4) g`;
    const first = await api.request('GET', '/me/sessions?limit=2', { token: a.token });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.request('GET', `/me/sessions?limit=2&cursor=${first.body.next_cursor}`, {
      token: a.token,
    });
    const third = await api.request('GET', `/me/sessions?limit=2&cursor=${second.body.next_cursor}`, {
      token: a.token,
    });
    const ids = [...first.body.items, ...second.body.items, ...third.body.items].map(
      (s: { id: string }) => s.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(third.body.next_cursor).toBeNull();
  });

  const cursorOf = (at: string) =>
    Buffer.from(JSON.stringify({ at, id: '00000000-0000-4000-8000-000000000000' })).toString('base64url');

  it.each([
    ['a time zone offset PostgreSQL refuses', '9999-12-31T23:59:59-23:59'],
    ['year 0, which does not exist', '0000-01-01T00:00:00Z'],
    ['a date before 1970', '1969-12-31T23:59:59Z'],
    ['an instant after 9999', '9999-12-31T23:59:59-15:00'],
    ['a day that is not in the calendar', '2026-02-29T00:00:00Z'],
  ])('refuses a cursor with %s with 400 invalid_cursor', async (_what, at) => {
    const a = await createUser(api.db);

    const r = await api.request('GET', `/me/sessions?cursor=${cursorOf(at)}`, { token: a.token });

    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.code).toBe('invalid_cursor');
  });

  it.each([
    ['far in the future', '9999-12-31T00:00:00Z'],
    ['at the widest offset PostgreSQL reads', '9000-01-01T00:00:00+15:59'],
    ['with microseconds', '9000-01-01T00:00:00.123456Z'],
  ])('takes a cursor %s and answers the rows before it', async (_what, at) => {
    const a = await createUser(api.db);

    const r = await api.request('GET', `/me/sessions?cursor=${cursorOf(at)}`, { token: a.token });

    expect(r.status).toBe(200);
    expect(r.body.items.map((s: { id: string }) => s.id)).toEqual([a.sessionId]);
  });

  it('lets an administrator list every account, without email addresses', async () => {
    const admin = await createUser(api.db, { role: 'admin' });
    const someone = await createUser(api.db);
    const r = await api.request('GET', '/admin/users?limit=100', { token: admin.token });
    expect(r.status).toBe(200);
    const ids = r.body.items.map((u: { id: string }) => u.id);
    expect(ids).toEqual(expect.arrayContaining([admin.id, someone.id]));
    expect(JSON.stringify(r.body)).not.toContain('@example.com');
  });
});
