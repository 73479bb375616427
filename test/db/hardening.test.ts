import { randomBytes } from 'node:crypto';
import { asUser } from '../../functions/core/db';
import { useTestDatabase } from '../support';
import { asRole, createUser, giveConsent } from './fixtures';

/** What a signed-in user's own transaction may not do, even to their own rows. */
describe('a signed-in user cannot', () => {
  const db = useTestDatabase();

  const session = async (userId: string, revoked: boolean) => {
    const [row] = await db.sql<{ id: string }[]>`
      insert into auth.user_sessions (user_id, refresh_token_hash, expires_at, revoked_at, revoked_reason)
      values (${userId}, ${randomBytes(32)}, now() + interval '1 day',
              ${revoked ? new Date() : null}, ${revoked ? 'token_reuse' : null})
      returning id`;
    return row?.id as string;
  };

  it('revive a revoked session, relabel its revocation, or back-date a new one', async () => {
    const a = await createUser(db.sql);
    const revoked = await session(a.id, true);
    const live = await session(a.id, false);

    await expect(
      asUser(db.sql, a.id, (tx) => tx`update auth.user_sessions set revoked_at = null where id = ${revoked}`),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      asUser(
        db.sql,
        a.id,
        (tx) => tx`update auth.user_sessions set revoked_reason = 'logout' where id = ${revoked}`,
      ),
    ).rejects.toMatchObject({ code: '23514' });

    await asUser(
      db.sql,
      a.id,
      (tx) =>
        tx`update auth.user_sessions set revoked_at = '2000-01-01', revoked_reason = 'user_revoked' where id = ${live}`,
    );
    const [row] =
      await db.sql`select revoked_at > now() - interval '1 minute' as now_ish from auth.user_sessions where id = ${live}`;
    expect(row?.now_ish).toBe(true);
  });

  it('take back a withdrawn consent, or give one already withdrawn', async () => {
    const a = await createUser(db.sql);
    await giveConsent(db.sql, a.id, 'mental_health_tracking');
    await asUser(
      db.sql,
      a.id,
      (tx) => tx`update public.user_consents set revoked_at = now() where user_id = ${a.id}`,
    );

    await expect(
      asUser(
        db.sql,
        a.id,
        (tx) => tx`update public.user_consents set revoked_at = null where user_id = ${a.id}`,
      ),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      asUser(
        db.sql,
        a.id,
        (tx) =>
          tx`insert into public.user_consents (user_id, consent_type, policy_version, granted_at) values (${a.id}, 'marketing', 'v1', '2000-01-01')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('write access-log rows, or security events for another user', async () => {
    const [a, b] = [await createUser(db.sql), await createUser(db.sql)];
    await expect(
      asUser(
        db.sql,
        a.id,
        (tx) =>
          tx`insert into audit.access_logs (user_id, endpoint, method, status_code) values (${b.id}, '/me', 'GET', 200)`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asUser(
        db.sql,
        a.id,
        (tx) => tx`insert into audit.audit_logs (user_id, event) values (${b.id}, 'login_succeeded')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await asUser(
      db.sql,
      a.id,
      (tx) => tx`insert into audit.audit_logs (user_id, event) values (${a.id}, 'logout')`,
    );
  });

  it("call pgcrypto's decryption, which only mental-health readers may", async () => {
    const a = await createUser(db.sql);
    await expect(
      asUser(db.sql, a.id, (tx) => tx`select pgp_sym_decrypt(pgp_sym_encrypt('note', 'k'), 'k')`),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('learn whether another account exists from a health profile written in its name', async () => {
    const a = await createUser(db.sql, { profile: false });
    const verified = await createUser(db.sql, { profile: false });
    const unverified = await createUser(db.sql, { verified: false, profile: false });
    for (const other of [verified, unverified]) {
      await expect(
        asUser(db.sql, a.id, (tx) => tx`insert into public.health_profiles (user_id) values (${other.id})`),
      ).rejects.toMatchObject({
        code: '42501',
      });
    }
  });

  it.each(['eatsential_api', 'eatsential_write'])(
    "read the server's statement statistics or call a trigger function directly (as %s)",
    async (role) => {
      const objects = await db.sql<{ name: string; allowed: boolean }[]>`
        select p.oid::regprocedure::text as name, has_function_privilege(${role}, p.oid, 'execute') as allowed
        from pg_depend d join pg_extension e on e.oid = d.refobjid join pg_proc p on p.oid = d.objid
        where d.deptype = 'e' and e.extname = 'pg_stat_statements' and d.classid = 'pg_proc'::regclass
        union all
        select c.oid::regclass::text, has_table_privilege(${role}, c.oid, 'select')
        from pg_depend d join pg_extension e on e.oid = d.refobjid join pg_class c on c.oid = d.objid
        where d.deptype = 'e' and e.extname = 'pg_stat_statements' and d.classid = 'pg_class'::regclass
        union all
        select 'auth.keep_revocation_final()', has_function_privilege(${role}, 'auth.keep_revocation_final()', 'execute')`;
      const [shipped] = await db.sql<{ is: boolean }[]>`
        select exists (select 1 from pg_available_extensions where name = 'pg_stat_statements') as is`;

      // Where the server ships the extension (PostgreSQL, not PGlite), its view is among them.
      if (shipped?.is) expect(objects.map((o) => o.name)).toContain('pg_stat_statements');
      expect(objects.filter((o) => o.allowed)).toEqual([]);
    },
  );

  it("reach other accounts through the identity service's role", async () => {
    const [a] = [await createUser(db.sql), await createUser(db.sql)];
    const visible = (userId: string) =>
      asRole(db.sql, 'eatsential_auth', userId, async (tx) => {
        const [row] = await tx<{ n: number }[]>`select count(*)::int as n from public.users`;
        return row?.n ?? 0;
      });
    expect(await visible(a.id)).toBe(1);
    expect(await visible('')).toBeGreaterThanOrEqual(2);
  });
});
