import {
  arrangeUser,
  auditEvents,
  callAsUser,
  callPublic,
  failure,
  goodPassword,
  login,
  newMailTo,
  onlyMailTo,
  useApiRole,
} from './support';
import { createHash } from 'node:crypto';
import { hashPassword } from '../../functions/core/passwords';
import { useTestDatabase } from '../support';
import type { Sql } from '../../functions/core/db';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

async function liveSessions(sql: Sql, userId: string) {
  return sql<
    { id: string }[]
  >`select id from auth.user_sessions where user_id = ${userId} and revoked_at is null`;
}

describe('password reset', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  async function resetToken(email: string): Promise<string> {
    await callPublic(api, 'requestPasswordReset', { email });
    return (await onlyMailTo(db, email)).token as string;
  }

  it('emails a one-hour token stored only as its hash', async () => {
    const user = await arrangeUser(db.sql);

    const answer = await callPublic(api, 'requestPasswordReset', { email: user.email.toUpperCase() });

    expect(answer).toEqual({ status: 'accepted', message: expect.any(String) });
    const mail = await onlyMailTo(db, user.email);
    expect(mail.body).toContain(`/reset-password?token=${mail.token}`);
    const [row] = await db.sql`
      select token_type, extract(epoch from expires_at - created_at)::int as lifetime
      from auth.verification_tokens where token_hash = ${sha256(mail.token as string)}`;
    expect(row).toEqual({ token_type: 'password_reset', lifetime: 3600 });
  });

  it('answers an unknown address the same way and sends nothing', async () => {
    const user = await arrangeUser(db.sql);
    const known = await callPublic(api, 'requestPasswordReset', { email: user.email });

    const unknown = await callPublic(api, 'requestPasswordReset', { email: 'no.such.account@example.com' });

    expect(unknown).toEqual(known);
    expect(await newMailTo(db, 'no.such.account@example.com')).toEqual([]);
    await newMailTo(db, user.email);
  });

  it('sets the new password, ends every session, unlocks the account, and works only once', async () => {
    const user = await arrangeUser(db.sql);
    await login(api, user);
    await login(api, user);
    await db.sql`update public.users set failed_login_count = 3, locked_until = now() + interval '10 minutes' where id = ${user.id}`;
    const token = await resetToken(user.email);

    await expect(
      callPublic(api, 'confirmPasswordReset', { token, new_password: 'amber kettle moonrise' }),
    ).resolves.toBeUndefined();

    expect(await liveSessions(db.sql, user.id)).toEqual([]);
    const reasons =
      await db.sql`select distinct revoked_reason from auth.user_sessions where user_id = ${user.id}`;
    expect(reasons.map((r) => r.revoked_reason)).toEqual(['password_reset']);
    const [row] =
      await db.sql`select failed_login_count, locked_until from public.users where id = ${user.id}`;
    expect(row).toEqual({ failed_login_count: 0, locked_until: null });
    expect((await onlyMailTo(db, user.email)).subject).toBe('Your password was changed');
    await login(api, user, { password: 'amber kettle moonrise' });
    expect(
      await failure(callPublic(api, 'login', { email: user.email, password: goodPassword })),
    ).toMatchObject({
      code: 'invalid_credentials',
    });
    expect(
      await failure(callPublic(api, 'confirmPasswordReset', { token, new_password: 'copper lantern dusk' })),
    ).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
    expect(await auditEvents(db.sql, user.id)).toContain('password_reset');
  });

  it('refuses the current password with 422 password_reused and keeps the token usable', async () => {
    const user = await arrangeUser(db.sql);
    const token = await resetToken(user.email);

    const refused = await failure(
      callPublic(api, 'confirmPasswordReset', { token, new_password: goodPassword }),
    );

    expect(refused).toMatchObject({ status: 422, code: 'password_reused' });
    await callPublic(api, 'confirmPasswordReset', { token, new_password: 'amber kettle moonrise' });
  });

  it('refuses a weak password with 422 weak_password', async () => {
    const user = await arrangeUser(db.sql);
    const token = await resetToken(user.email);

    const refused = await failure(
      callPublic(api, 'confirmPasswordReset', { token, new_password: `${user.username}-secret` }),
    );

    expect(refused).toMatchObject({ status: 422, code: 'weak_password' });
    expect(refused.error.errors?.[0]?.path).toBe('body.new_password');
  });

  it('retires an older reset token when a new one is sent', async () => {
    const user = await arrangeUser(db.sql);
    const first = await resetToken(user.email);
    await db.sql`
      update auth.verification_tokens set created_at = created_at - interval '2 minutes', expires_at = expires_at - interval '2 minutes'
      where token_hash = ${sha256(first)}`;
    const second = await resetToken(user.email);

    expect(
      await failure(
        callPublic(api, 'confirmPasswordReset', { token: first, new_password: 'amber kettle moonrise' }),
      ),
    ).toMatchObject({
      code: 'invalid_token',
    });
    await callPublic(api, 'confirmPasswordReset', { token: second, new_password: 'amber kettle moonrise' });
  });

  it('refuses an expired reset token with 400 invalid_token', async () => {
    const user = await arrangeUser(db.sql);
    const token = await resetToken(user.email);
    await db.sql`
      update auth.verification_tokens set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
      where token_hash = ${sha256(token)}`;

    expect(
      await failure(
        callPublic(api, 'confirmPasswordReset', { token, new_password: 'amber kettle moonrise' }),
      ),
    ).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
  });
});

describe('password change', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);

  it('refuses a wrong current password with 403 invalid_current_password', async () => {
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    const refused = await failure(
      callAsUser(api, 'changePassword', caller, {
        body: { current_password: 'not it at all', new_password: 'amber kettle moonrise' },
      }),
    );

    expect(refused).toMatchObject({ status: 403, code: 'invalid_current_password' });
  });

  it('changes the password and ends every other session, keeping this one', async () => {
    const user = await arrangeUser(db.sql);
    const other = await login(api, user);
    const { caller } = await login(api, user);

    await callAsUser(api, 'changePassword', caller, {
      body: { current_password: goodPassword, new_password: 'amber kettle moonrise' },
    });

    expect((await liveSessions(db.sql, user.id)).map((s) => s.id)).toEqual([caller.sessionId]);
    const [ended] =
      await db.sql`select revoked_reason from auth.user_sessions where id = ${other.caller.sessionId}`;
    expect(ended?.revoked_reason).toBe('password_changed');
    const [history] =
      await db.sql`select count(*)::int as n from auth.password_history where user_id = ${user.id}`;
    expect(history?.n).toBe(2);
    const [row] =
      await db.sql`select password_changed_at > created_at as changed from public.users where id = ${user.id}`;
    expect(row?.changed).toBe(true);
    await login(api, user, { password: 'amber kettle moonrise' });
  });

  it('refuses any of the last 5 passwords, the current one included, and accepts the 6th back', async () => {
    const passwords = [
      'first garden path',
      'second garden path',
      'third garden path',
      'fourth garden path',
      'fifth garden path',
      'sixth garden path',
    ];
    // Cheaper parameters keep this test fast; verification reads them from each hash.
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p, { ln: 14, r: 8, p: 1 })));
    const user = await arrangeUser(db.sql, { passwordHash: hashes[5] });
    await db.sql`delete from auth.password_history where user_id = ${user.id}`;
    for (const [i, hash] of hashes.entries()) {
      await db.sql`
        insert into auth.password_history (user_id, password_hash, created_at)
        values (${user.id}, ${hash}, now() - make_interval(days => ${60 - i}))`;
    }
    const { caller } = await login(api, user, { password: passwords[5] });
    const change = (new_password: string) =>
      callAsUser(api, 'changePassword', caller, { body: { current_password: passwords[5], new_password } });

    for (const reused of passwords.slice(1)) {
      expect(await failure(change(reused as string))).toMatchObject({ status: 422, code: 'password_reused' });
    }
    await change(passwords[0] as string);

    expect(await auditEvents(db.sql, user.id)).toContain('password_changed');
  });

  it('refuses a weak new password with 422 weak_password', async () => {
    const user = await arrangeUser(db.sql);
    const { caller } = await login(api, user);

    const refused = await failure(
      callAsUser(api, 'changePassword', caller, {
        body: { current_password: goodPassword, new_password: 'qwertyqwertyqwerty' },
      }),
    );

    expect(refused).toMatchObject({ status: 422, code: 'weak_password' });
  });
});
