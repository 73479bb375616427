import {
  arrangeUser,
  auditEvents,
  callAsUser,
  callPublic,
  failure,
  goodPassword,
  login,
  request,
  useApiRole,
} from './support';
import { createHash } from 'node:crypto';
import { hashPassword } from '../../functions/core/passwords';
import { verifyAuthorization } from '../../functions/core/tokens';
import { useTestDatabase } from '../support';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

describe('login', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('opens a session and answers an access token for it and a refresh token stored only as a hash', async () => {
    const user = await arrangeUser(db.sql);

    const { tokens } = await login(api, user, { deviceName: 'Pixel 8' });

    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(await verifyAuthorization(`Bearer ${tokens.access_token}`)).toEqual({
      userId: user.id,
      role: 'user',
      sessionId: tokens.session_id,
    });
    const [session] = await db.sql`
      select user_id, refresh_token_hash, device_name, user_agent, host(ip_address) as ip,
             extract(epoch from expires_at - created_at)::int as lifetime
      from auth.user_sessions where id = ${tokens.session_id}`;
    expect(session).toEqual({
      user_id: user.id,
      refresh_token_hash: sha256(tokens.refresh_token),
      device_name: 'Pixel 8',
      user_agent: request.userAgent,
      ip: request.ip,
      lifetime: 30 * 24 * 3600,
    });
    const [row] =
      await db.sql`select last_login_at is not null as stamped from public.users where id = ${user.id}`;
    expect(row?.stamped).toBe(true);
  });

  it.each([
    ['an unknown email', () => ({ email: 'nobody.at.all@example.com', password: goodPassword })],
    ['a wrong password', (email: string) => ({ email, password: 'not the password at all' })],
  ])('answers %s with 401 invalid_credentials', async (_what, body) => {
    const user = await arrangeUser(db.sql);

    expect(await failure(callPublic(api, 'login', body(user.email)))).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    });
  });

  it('asks to verify the email only when the password is right', async () => {
    const user = await arrangeUser(db.sql, { verified: false });

    const wrong = await failure(
      callPublic(api, 'login', { email: user.email, password: 'not the password at all' }),
    );
    const right = await failure(callPublic(api, 'login', { email: user.email, password: goodPassword }));

    expect(wrong).toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(right).toMatchObject({ status: 403, code: 'email_not_verified' });
    const [sessions] =
      await db.sql`select count(*)::int as n from auth.user_sessions where user_id = ${user.id}`;
    expect(sessions?.n).toBe(0);
  });

  it('refuses a deactivated account like a wrong password', async () => {
    const user = await arrangeUser(db.sql);
    await db.sql`update public.users set is_active = false where id = ${user.id}`;

    expect(
      await failure(callPublic(api, 'login', { email: user.email, password: goodPassword })),
    ).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    });
  });

  it('locks the account for 15 minutes after 5 failures in a row, refusing even the right password meanwhile', async () => {
    const user = await arrangeUser(db.sql);
    const wrong = { email: user.email, password: 'not the password at all' };

    for (let i = 0; i < 5; i++) await failure(callPublic(api, 'login', wrong));
    const whileLocked = await failure(
      callPublic(api, 'login', { email: user.email, password: goodPassword }),
    );

    expect(whileLocked).toMatchObject({ status: 401, code: 'invalid_credentials' });
    const [row] = await db.sql`
      select failed_login_count, round(extract(epoch from locked_until - now()) / 60)::int as minutes
      from public.users where id = ${user.id}`;
    expect(row).toEqual({ failed_login_count: 0, minutes: 15 });
    expect(await auditEvents(db.sql, user.id)).toEqual([
      ...Array(5).fill('login_failed'),
      'account_locked',
      'login_refused_locked',
    ]);

    await db.sql`update public.users set locked_until = now() - interval '1 second' where id = ${user.id}`;
    await login(api, user);
    const [after] =
      await db.sql`select failed_login_count, locked_until from public.users where id = ${user.id}`;
    expect(after).toEqual({ failed_login_count: 0, locked_until: null });
  });

  it('starts counting failures again after a successful login', async () => {
    const user = await arrangeUser(db.sql);
    const wrong = { email: user.email, password: 'not the password at all' };
    for (let i = 0; i < 4; i++) await failure(callPublic(api, 'login', wrong));

    await login(api, user);
    await failure(callPublic(api, 'login', wrong));

    const [row] =
      await db.sql`select failed_login_count, locked_until from public.users where id = ${user.id}`;
    expect(row).toEqual({ failed_login_count: 1, locked_until: null });
  });

  it('stores a fresh hash when the password was hashed with older parameters', async () => {
    const user = await arrangeUser(db.sql, {
      passwordHash: await hashPassword(goodPassword, { ln: 14, r: 8, p: 1 }),
    });

    await login(api, user);

    const [row] = await db.sql`select password_hash from public.users where id = ${user.id}`;
    expect(row?.password_hash).toMatch(/^scrypt\$ln=17,r=8,p=1\$/);
    await login(api, user);
  });
});

describe('refresh and logout', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('rotates the refresh token: the new one works, the old one is kept as rotated', async () => {
    const user = await arrangeUser(db.sql);
    const { tokens } = await login(api, user);

    const next = (await callPublic(api, 'refresh', { refresh_token: tokens.refresh_token })) as typeof tokens;

    expect(next.session_id).toBe(tokens.session_id);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect((await verifyAuthorization(`Bearer ${next.access_token}`)).sessionId).toBe(tokens.session_id);
    const [rotated] =
      await db.sql`select session_id from auth.rotated_refresh_tokens where token_hash = ${sha256(tokens.refresh_token)}`;
    expect(rotated?.session_id).toBe(tokens.session_id);
    await callPublic(api, 'refresh', { refresh_token: next.refresh_token });
  });

  it('treats a rotated refresh token presented again as stolen: the session ends for every holder', async () => {
    const user = await arrangeUser(db.sql);
    const { tokens } = await login(api, user);
    const next = (await callPublic(api, 'refresh', { refresh_token: tokens.refresh_token })) as typeof tokens;

    const reuse = await failure(callPublic(api, 'refresh', { refresh_token: tokens.refresh_token }));

    expect(reuse).toMatchObject({ status: 401, code: 'refresh_token_reused' });
    const [session] =
      await db.sql`select revoked_reason from auth.user_sessions where id = ${tokens.session_id}`;
    expect(session?.revoked_reason).toBe('token_reuse');
    expect(await auditEvents(db.sql, user.id)).toContain('refresh_token_reused');
    expect(await failure(callPublic(api, 'refresh', { refresh_token: next.refresh_token }))).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('answers an unknown refresh token with 401 invalid_token', async () => {
    expect(await failure(callPublic(api, 'refresh', { refresh_token: 'A'.repeat(43) }))).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('refuses to refresh an expired session', async () => {
    const user = await arrangeUser(db.sql);
    const { tokens } = await login(api, user);
    await db.sql`
      update auth.user_sessions set created_at = now() - interval '31 days', expires_at = now() - interval '1 day'
      where id = ${tokens.session_id}`;

    expect(await failure(callPublic(api, 'refresh', { refresh_token: tokens.refresh_token }))).toMatchObject({
      code: 'invalid_token',
    });
  });

  it('logs out: the session is revoked and its refresh token refused', async () => {
    const user = await arrangeUser(db.sql);
    const { tokens, caller } = await login(api, user);

    await expect(callAsUser(api, 'logout', caller)).resolves.toBeUndefined();

    const [session] =
      await db.sql`select revoked_at is not null as revoked, revoked_reason from auth.user_sessions where id = ${tokens.session_id}`;
    expect(session).toEqual({ revoked: true, revoked_reason: 'logout' });
    expect(await failure(callPublic(api, 'refresh', { refresh_token: tokens.refresh_token }))).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('refuses to refresh once the account is deleted', async () => {
    const user = await arrangeUser(db.sql);
    const { tokens, caller } = await login(api, user);

    await callAsUser(api, 'deleteMe', caller);

    expect(await failure(callPublic(api, 'refresh', { refresh_token: tokens.refresh_token }))).toMatchObject({
      code: 'invalid_token',
    });
    expect(
      await failure(callPublic(api, 'login', { email: user.email, password: goodPassword })),
    ).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    });
  });
});
