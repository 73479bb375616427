import { auditEvents, callPublic, failure, newMailTo, onlyMailTo, useApiRole } from './support';
import { createHash } from 'node:crypto';
import { useTestDatabase } from '../support';

describe('registration and email verification', () => {
  const db = useTestDatabase();
  const api = useApiRole(db);
  let n = 0;
  const fresh = () => {
    n += 1;
    return {
      username: `Reg_${n}_${process.pid % 1000}`,
      email: `Reg.${n}.${process.pid}@Example.com`,
      password: 'violet harbor lantern',
    };
  };

  it('creates an unverified account and emails a verification token stored only as its hash', async () => {
    const who = fresh();

    const answer = await callPublic(api, 'register', { ...who, time_zone: 'Europe/Budapest' });

    expect(answer).toEqual({ status: 'accepted', message: expect.any(String) });
    const [user] = await db.sql`
      select id, email, password_hash, is_email_verified, time_zone from public.users where username = ${who.username}`;
    expect(user).toMatchObject({
      email: who.email.toLowerCase(),
      is_email_verified: false,
      time_zone: 'Europe/Budapest',
    });
    expect(user?.password_hash).toMatch(/^scrypt\$ln=17,r=8,p=1\$/);
    const mail = await onlyMailTo(db, who.email.toLowerCase());
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.body).toContain(`/verify-email?token=${mail.token}`);
    const tokens = await db.sql`
      select token_hash, token_type, extract(epoch from expires_at - created_at)::int as lifetime from auth.verification_tokens where user_id = ${user?.id}`;
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.token_hash).toEqual(
      createHash('sha256')
        .update(mail.token as string)
        .digest(),
    );
    expect(tokens[0]).toMatchObject({ token_type: 'email_verify', lifetime: 24 * 3600 });
    const [history] =
      await db.sql`select count(*)::int as n from auth.password_history where user_id = ${user?.id}`;
    expect(history?.n).toBe(1);
    expect(await auditEvents(db.sql, user?.id)).toEqual(['user_registered']);
  });

  it('defaults the time zone to UTC', async () => {
    const who = fresh();

    await callPublic(api, 'register', who);

    const [user] = await db.sql`select time_zone from public.users where username = ${who.username}`;
    expect(user?.time_zone).toBe('UTC');
    await newMailTo(db, who.email);
  });

  it('refuses a taken username whatever its case, with 409 username_taken', async () => {
    const first = fresh();
    await callPublic(api, 'register', first);
    await newMailTo(db, first.email);

    const clash = await failure(
      callPublic(api, 'register', { ...fresh(), username: first.username.toUpperCase() }),
    );

    expect(clash).toMatchObject({ status: 409, code: 'username_taken' });
  });

  it('answers a taken email exactly like a new one, and warns the address instead of creating anything', async () => {
    const first = fresh();
    const accepted = await callPublic(api, 'register', first);
    await onlyMailTo(db, first.email);

    const again = await callPublic(api, 'register', { ...fresh(), email: first.email.toUpperCase() });

    expect(again).toEqual(accepted);
    const [count] =
      await db.sql`select count(*)::int as n from public.users where email = ${first.email.toLowerCase()}`;
    expect(count?.n).toBe(1);
    const warning = await onlyMailTo(db, first.email);
    expect(warning.subject).toBe('Someone tried to register with your email address');
    expect(warning.token).toBeUndefined();
  });

  it.each([
    ['too common', 'password123456'],
    ['made of the username', 'xx_REG_NAME_xx'],
    ['one character repeated', 'zzzzzzzzzzzzzz'],
  ])('refuses a password that is %s with 422 weak_password', async (_what, password) => {
    const who = { ...fresh(), username: 'reg_name' };

    const refused = await failure(callPublic(api, 'register', { ...who, password }));

    expect(refused).toMatchObject({ status: 422, code: 'weak_password' });
    expect(refused.error.errors?.[0]?.path).toBe('body.password');
    const [count] = await db.sql`select count(*)::int as n from public.users where username = 'reg_name'`;
    expect(count?.n).toBe(0);
  });

  it('verifies an email once with its token', async () => {
    const who = fresh();
    await callPublic(api, 'register', who);
    const { token } = await onlyMailTo(db, who.email);

    await expect(callPublic(api, 'verifyEmail', { token })).resolves.toBeUndefined();

    const [user] =
      await db.sql`select id, is_email_verified from public.users where username = ${who.username}`;
    expect(user?.is_email_verified).toBe(true);
    expect(await failure(callPublic(api, 'verifyEmail', { token }))).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
    expect(await auditEvents(db.sql, user?.id)).toEqual(['user_registered', 'email_verified']);
  });

  it.each([
    ['unknown', async () => 'x'.repeat(43)],
    [
      'expired',
      async (): Promise<string> => {
        const who = fresh();
        await callPublic(api, 'register', who);
        const { token } = await onlyMailTo(db, who.email);
        await db.sql`
          update auth.verification_tokens set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour'
          where token_hash = ${createHash('sha256')
            .update(token as string)
            .digest()}`;
        return token as string;
      },
    ],
  ])('refuses an %s verification token with 400 invalid_token', async (_what, tokenFor) => {
    const token = await tokenFor();

    expect(await failure(callPublic(api, 'verifyEmail', { token }))).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
  });

  it('does not verify with a password reset token', async () => {
    const who = fresh();
    await callPublic(api, 'register', who);
    await newMailTo(db, who.email);
    await callPublic(api, 'requestPasswordReset', { email: who.email });
    const { token } = await onlyMailTo(db, who.email);

    expect(await failure(callPublic(api, 'verifyEmail', { token }))).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
  });

  it('resends a verification email, retires the older token, and sends at most one a minute', async () => {
    const who = fresh();
    await callPublic(api, 'register', who);
    const first = await onlyMailTo(db, who.email);
    await db.sql`
      update auth.verification_tokens set created_at = created_at - interval '2 minutes'
      where token_hash = ${createHash('sha256')
        .update(first.token as string)
        .digest()}`;

    const answer = await callPublic(api, 'resendVerification', { email: who.email });
    await callPublic(api, 'resendVerification', { email: who.email });

    expect(answer).toEqual({ status: 'accepted', message: expect.any(String) });
    const second = await onlyMailTo(db, who.email);
    expect(second.token).not.toEqual(first.token);
    expect(await failure(callPublic(api, 'verifyEmail', { token: first.token }))).toMatchObject({
      code: 'invalid_token',
    });
    await callPublic(api, 'verifyEmail', { token: second.token });
  });

  it('answers resend requests for unknown and verified addresses the same way, sending nothing', async () => {
    const who = fresh();
    await callPublic(api, 'register', who);
    await callPublic(api, 'verifyEmail', { token: (await onlyMailTo(db, who.email)).token });

    const verified = await callPublic(api, 'resendVerification', { email: who.email });
    const unknown = await callPublic(api, 'resendVerification', { email: 'nobody.here@example.com' });

    expect(unknown).toEqual(verified);
    expect(await newMailTo(db, who.email)).toEqual([]);
    expect(await newMailTo(db, 'nobody.here@example.com')).toEqual([]);
  });

  it('writes no email address into the audit log', async () => {
    const rows = await db.sql`select detail::text as detail from audit.audit_logs`;

    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => !String(r.detail).includes('@'))).toBe(true);
  });
});
