import { randomBytes } from 'node:crypto';
import { useTestDatabase } from '../support';
import { asRole, createUser } from './fixtures';

/**
 * What a leaked credential or an injected statement reaches: each application role holds only
 * the columns its statements name, and password hashes leave public.users only through functions
 * that answer one account.
 */
describe('the identity service role (eatsential_auth), with no user set', () => {
  const db = useTestDatabase();
  const asAuth = <T>(fn: Parameters<typeof asRole<T>>[3], userId = '') =>
    asRole(db.sql, 'eatsential_auth', userId, fn);

  it.each([
    ["update public.users set role = 'admin'"],
    ['update public.users set is_active = false'],
    ["update public.users set email = 'taken@example.com'"],
    ['update public.users set deleted_at = now()'],
    ['select password_hash from public.users'],
    ['select email from public.users'],
    ['select * from public.users'],
    ['select * from auth.mail_outbox'],
    ['select new_email from auth.verification_tokens'],
    ['select device_name, ip_address from auth.user_sessions'],
    ['update auth.password_history set password_hash = null'],
    [
      "insert into public.users (username, email, password_hash, role) values ('mallory', 'm@example.com', 'x', 'admin')",
    ],
  ])('cannot run %s (42501)', async (statement) => {
    await createUser(db.sql);
    await expect(asAuth((tx) => tx.unsafe(statement))).rejects.toMatchObject({ code: '42501' });
  });

  it('reads no earlier password hash, and a password hash only one account at a time by its address', async () => {
    const a = await createUser(db.sql, { email: 'one.account@example.com' });
    await db.sql`insert into auth.password_history (user_id, password_hash) values (${a.id}, 'scrypt$old')`;

    const history = await asAuth((tx) => tx`select password_hash from auth.password_history`);
    expect(history).toEqual([]);
    const [byEmail] = await asAuth(
      (tx) => tx`select id, password_hash from auth.credentials_for_login('One.Account@example.com')`,
    );
    expect(byEmail).toEqual({ id: a.id, password_hash: 'scrypt$test' });
    // By id only for a transaction that acts for the account.
    expect(await asAuth((tx) => tx`select * from auth.credentials_for_password_change(${a.id})`)).toEqual([]);
  });

  it("reads an account's password history and hash once it has spent that account's reset token", async () => {
    const a = await createUser(db.sql);
    const b = await createUser(db.sql);
    await db.sql`insert into auth.password_history (user_id, password_hash) values (${a.id}, 'scrypt$old'), (${b.id}, 'scrypt$old')`;
    const hash = randomBytes(32);
    await db.sql`insert into auth.verification_tokens (user_id, token_hash, token_type, expires_at)
                 values (${a.id}, ${hash}, 'password_reset', now() + interval '1 hour')`;

    const seen = await asAuth(async (tx) => {
      await tx`update auth.verification_tokens set used_at = now() where token_hash = ${hash}`;
      return {
        history: (await tx`select user_id from auth.password_history`).map((r) => r.user_id as string),
        own: (await tx`select id from auth.credentials_for_password_change(${a.id})`).length,
        other: (await tx`select id from auth.credentials_for_password_change(${b.id})`).length,
      };
    });
    expect(seen).toEqual({ history: [a.id], own: 1, other: 0 });
  });

  it("inside a signed-in request, reads only that user's credentials", async () => {
    const a = await createUser(db.sql, { email: 'signed.in@example.com' });
    const b = await createUser(db.sql, { email: 'someone.else@example.com' });
    const seen = await asAuth(
      async (tx) => ({
        own: (await tx`select id from auth.credentials_for_password_change(${a.id})`).length,
        other: (await tx`select id from auth.credentials_for_password_change(${b.id})`).length,
        otherByEmail: (await tx`select id from auth.credentials_for_login('someone.else@example.com')`)
          .length,
      }),
      a.id,
    );
    expect(seen).toEqual({ own: 1, other: 0, otherByEmail: 0 });
  });

  it('queues emails but never reads them back', async () => {
    const a = await createUser(db.sql);
    await asAuth(
      (tx) => tx`insert into auth.mail_outbox (user_id, kind, payload_encrypted, payload_key_version)
                 values (${a.id}, 'password_changed', ${randomBytes(40)}, 1)`,
    );
    const [row] = await db.sql`select count(*)::int as n from auth.mail_outbox where user_id = ${a.id}`;
    expect(row?.n).toBe(1);
  });
});

describe('every role', () => {
  const db = useTestDatabase();

  it('the mail-outbox job reads and changes queued emails only', async () => {
    const a = await createUser(db.sql);
    for (const statement of [
      'select id from public.users',
      'select password_hash from auth.password_history',
      `insert into auth.mail_outbox (user_id, kind, payload_encrypted, payload_key_version) values ('${a.id}', 'password_changed', '\\x00', 1)`,
      'update auth.mail_outbox set user_id = null',
      'update auth.mail_outbox set kind = null',
    ]) {
      await expect(
        asRole(db.sql, 'eatsential_job_mail_outbox', '', (tx) => tx.unsafe(statement)),
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  // Roles are cluster-wide: on a shared server another database migrating from zero, or rolling
  // back 20261202400000 (the migrator's own test does both), grants eatsential_admin to the
  // eatsential_jobs login until 20261202400000 revokes it again, so that login's membership is
  // not asserted here; every role it may set is.
  it('cannot reach eatsential_admin: no request or job role is a member of it', async () => {
    const rows = await db.sql<{ rolname: string; admin: boolean }[]>`
      select rolname, pg_has_role(rolname, 'eatsential_admin', 'member') as admin
      from pg_roles
      where rolname like 'eatsential\\_%' and rolname not in ('eatsential_admin', 'eatsential_jobs')
      order by rolname`;
    expect(rows.map((r) => r.rolname)).toEqual(
      expect.arrayContaining(['eatsential_api', 'eatsential_auth', 'eatsential_job_mail_outbox']),
    );
    expect(rows.filter((r) => r.admin)).toEqual([]);
  });

  it('PUBLIC executes no SECURITY DEFINER function, and each pins its search_path', async () => {
    const rows = await db.sql<{ name: string; public: boolean; pinned: boolean }[]>`
      select p.oid::regprocedure::text as name,
             p.proacl is null or exists (
               select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'
             ) as public,
             exists (select 1 from unnest(p.proconfig) c where c like 'search_path=pg_catalog%') as pinned
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prosecdef and n.nspname in ('public', 'auth', 'health', 'audit', 'lifecycle')`;
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'auth.credentials_for_login(text)',
        'auth.credentials_for_password_change(uuid)',
        'auth.may_set_password(uuid)',
      ]),
    );
    expect(rows.filter((r) => r.public || !r.pinned)).toEqual([]);
  });
});
