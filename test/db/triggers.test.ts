import { randomBytes, randomUUID } from 'node:crypto';
import { asUser, transaction, type Sql } from '../../functions/core/db';
import { useTestDatabase } from '../support';
import { allergenId, createMeal, createUser, giveConsent } from './fixtures';

interface Stamped {
  readonly table: string;
  readonly key: string;
  /** Inserts a row with created_at = updated_at = 2000-01-01 and returns its key. */
  readonly insert: (sql: Sql) => Promise<string>;
}

const longAgo = '2000-01-01T00:00:00Z';

const stamped: Stamped[] = [
  {
    table: 'public.users',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql, { profile: false });
      await sql`update public.users set created_at = ${longAgo}, updated_at = ${longAgo} where id = ${u.id}`;
      return u.id;
    },
  },
  {
    table: 'public.health_profiles',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql, { profile: false });
      const [r] = await sql`insert into public.health_profiles (user_id, created_at, updated_at)
                            values (${u.id}, ${longAgo}, ${longAgo}) returning id`;
      return r?.id;
    },
  },
  {
    table: 'public.user_allergies',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql);
      const [r] =
        await sql`insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity, created_at, updated_at)
                            values (${u.id}, ${u.profileId}, ${await allergenId(sql, 'Milk')}, 'MILD', ${longAgo}, ${longAgo}) returning id`;
      return r?.id;
    },
  },
  {
    table: 'public.user_medical_conditions',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql);
      const [r] =
        await sql`insert into public.user_medical_conditions (user_id, health_profile_id, condition_id, created_at, updated_at)
                            select ${u.id}, ${u.profileId}, id, ${longAgo}, ${longAgo} from health.medical_conditions_ref
                            where name = 'gout' returning id`;
      return r?.id;
    },
  },
  {
    table: 'public.user_fitness_goals',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql);
      const [r] =
        await sql`insert into public.user_fitness_goals (user_id, health_profile_id, goal_type, created_at, updated_at)
                            values (${u.id}, ${u.profileId}, 'endurance', ${longAgo}, ${longAgo}) returning id`;
      return r?.id;
    },
  },
  {
    table: 'public.user_preferences',
    key: 'user_id',
    insert: async (sql) => {
      const u = await createUser(sql);
      await sql`insert into public.user_preferences (user_id, created_at, updated_at) values (${u.id}, ${longAgo}, ${longAgo})`;
      return u.id;
    },
  },
  {
    table: 'public.restaurants',
    key: 'id',
    insert: async (sql) => {
      const { restaurantId } = await createMeal(sql);
      await sql`update public.restaurants set created_at = ${longAgo}, updated_at = ${longAgo} where id = ${restaurantId}`;
      return restaurantId;
    },
  },
  {
    table: 'public.meals',
    key: 'id',
    insert: async (sql) => {
      const { mealId } = await createMeal(sql);
      await sql`update public.meals set created_at = ${longAgo}, updated_at = ${longAgo} where id = ${mealId}`;
      return mealId;
    },
  },
  {
    table: 'public.ingredients',
    key: 'id',
    insert: async (sql) => {
      const [r] = await sql`insert into public.ingredients (name, created_at, updated_at)
                            values (${`ingredient ${randomUUID()}`}, ${longAgo}, ${longAgo}) returning id`;
      return r?.id;
    },
  },
  {
    table: 'health.health_tags',
    key: 'id',
    insert: async (sql) => {
      const [r] =
        await sql`insert into health.health_tags (tag_name, category, description, created_at, updated_at)
                            values ('#GutHealth', 'Digestion', ${'Fermented and high-fibre foods for a diverse gut flora.'}, ${longAgo}, ${longAgo})
                            returning id`;
      return r?.id;
    },
  },
  {
    table: 'health.mental_wellness_goals',
    key: 'id',
    insert: async (sql) => {
      const u = await createUser(sql);
      const [r] =
        await sql`insert into health.mental_wellness_goals (user_id, goal_type, target_value, target_unit, frequency, created_at, updated_at)
                            values (${u.id}, 'sleep_duration', 8, 'hours', 'daily', ${longAgo}, ${longAgo}) returning id`;
      return r?.id;
    },
  },
];

describe('triggers', () => {
  const db = useTestDatabase();

  describe('updated_at', () => {
    it.each(stamped)('moves on update of $table, created_at stays', async ({ table, key, insert }) => {
      const id = await insert(db.sql);

      const [row] = await db.sql<{ created_at: Date; updated_at: Date; now: Date }[]>`
        update ${db.sql(table)} set created_at = created_at where ${db.sql(key)} = ${id}
        returning created_at, updated_at, now() as now`;

      expect(row?.created_at).toEqual(new Date(longAgo));
      expect(row?.updated_at).toEqual(row?.now);
    });

    it('is maintained on every table that has the column', async () => {
      const missing = await db.sql<{ rel: string }[]>`
        select c.table_schema || '.' || c.table_name as rel
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.column_name = 'updated_at' and t.table_type = 'BASE TABLE'
          and c.table_schema in ('public', 'auth', 'health', 'audit')
          and not exists (
            select 1 from pg_trigger tg
            join pg_proc p on p.oid = tg.tgfoid
            where tg.tgrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
              and p.proname = 'update_updated_at_column'
          )`;

      expect(missing.map((r) => r.rel)).toEqual([]);
      expect(stamped.length).toBeGreaterThanOrEqual(11);
    });
  });

  describe('audit of health profiles', () => {
    it('records insert, update and delete with the old and new rows and the acting user', async () => {
      const user = await createUser(db.sql, { profile: false });

      const profileId = await asUser(db.sql, user.id, async (tx) => {
        const [p] =
          await tx`insert into public.health_profiles (user_id, weight_kg) values (${user.id}, 70) returning id`;
        await tx`update public.health_profiles set weight_kg = 71.5 where id = ${p?.id}`;
        await tx`delete from public.health_profiles where id = ${p?.id}`;
        return p?.id as string;
      });

      const changes = await db.sql`
        select operation, user_id, db_role, subject_user_id, table_name,
               old_data ->> 'weight_kg' as old_weight, new_data ->> 'weight_kg' as new_weight,
               old_data is null as no_old, new_data is null as no_new
        from audit.data_changes where record_id = ${profileId}
        order by array_position(array['INSERT', 'UPDATE', 'DELETE'], operation::text)`;
      expect(changes).toEqual([
        expect.objectContaining({ operation: 'INSERT', no_old: true, new_weight: '70.00' }),
        expect.objectContaining({ operation: 'UPDATE', old_weight: '70.00', new_weight: '71.50' }),
        expect.objectContaining({ operation: 'DELETE', old_weight: '71.50', no_new: true }),
      ]);
      for (const c of changes) {
        expect(c).toMatchObject({
          user_id: user.id,
          subject_user_id: user.id,
          db_role: 'eatsential_write',
          table_name: 'health_profiles',
        });
      }
    });

    it('records a change made with no user set (a job) with no acting user', async () => {
      const user = await createUser(db.sql);

      await transaction(
        db.sql,
        { role: 'eatsential_admin', userId: null },
        (tx) => tx`update public.health_profiles set height_cm = 170 where id = ${user.profileId}`,
      );

      const [change] = await db.sql`
        select user_id, db_role, subject_user_id from audit.data_changes
        where record_id = ${user.profileId} and operation = 'UPDATE'`;
      expect(change).toEqual({ user_id: null, db_role: 'eatsential_admin', subject_user_id: user.id });
    });

    it('leaves encrypted notes of mental-wellness rows out of the audit', async () => {
      const user = await createUser(db.sql);
      await giveConsent(db.sql, user.id, 'mental_health_tracking');

      const logId = await asUser(db.sql, user.id, async (tx) => {
        const [log] = await tx`
          insert into health.mood_logs (user_id, mood_score, mood_label, notes_encrypted, notes_key_version)
          values (${user.id}, 4, 'poor', ${randomBytes(64)}, 1) returning id`;
        await tx`update health.mood_logs set notes_encrypted = ${randomBytes(64)}, notes_key_version = 2 where id = ${log?.id}`;
        return log?.id as string;
      });

      const changes =
        await db.sql`select old_data, new_data from audit.data_changes where record_id = ${logId}`;
      expect(changes).toHaveLength(2);
      for (const c of changes) {
        for (const data of [c.old_data, c.new_data].filter(Boolean)) {
          expect(data).not.toHaveProperty('notes_encrypted');
          expect(data).toHaveProperty('mood_score');
        }
      }
    });
  });

  describe('health profiles', () => {
    it('are refused for a user whose email is not verified', async () => {
      const user = await createUser(db.sql, { verified: false });

      await expect(
        asUser(db.sql, user.id, (tx) => tx`insert into public.health_profiles (user_id) values (${user.id})`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'health_profiles_email_verified_check' });
    });
  });

  describe('soft_delete_user', () => {
    const longestEmail = `${'a'.repeat(64)}@${'b'.repeat(186)}.com`;
    const longestUsername = 'Deleted_User_20chars';

    const register = (email: string, username: string) =>
      transaction(
        db.sql,
        { role: 'eatsential_auth' },
        (tx) =>
          tx`insert into public.users (username, email, password_hash) values (${username}, ${email}, 'scrypt$new') returning id`,
      );

    it('deletes an account with the longest email, revokes its sessions and frees email and username', async () => {
      expect(longestEmail).toHaveLength(255);
      expect(longestUsername).toHaveLength(20);
      const user = await createUser(db.sql, { email: longestEmail, username: longestUsername });
      const session = (revoked: string | null) => db.sql`
        insert into auth.user_sessions (user_id, refresh_token_hash, expires_at, revoked_at, revoked_reason)
        values (${user.id}, ${randomBytes(32)}, now() + interval '30 days',
                ${revoked ? new Date() : null}, ${revoked}) returning id`;
      const [[active], [loggedOut]] = await Promise.all([session(null), session('logout')]);

      const [result] = await asUser(
        db.sql,
        user.id,
        (tx) => tx`select public.soft_delete_user(${user.id}) as deleted`,
      );

      expect(result?.deleted).toBe(true);
      const [account] =
        await db.sql`select email, is_active, deleted_at from public.users where id = ${user.id}`;
      expect(account).toMatchObject({ email: longestEmail, is_active: false, deleted_at: expect.any(Date) });
      const sessions =
        await db.sql`select id, revoked_reason from auth.user_sessions where user_id = ${user.id}`;
      expect(sessions).toEqual(
        expect.arrayContaining([
          { id: active?.id, revoked_reason: 'account_deleted' },
          { id: loggedOut?.id, revoked_reason: 'logout' },
        ]),
      );

      const [again] = await register(longestEmail, longestUsername.toLowerCase());
      expect(again?.id).toEqual(expect.any(String));
      await expect(register(longestEmail, 'someone_else')).rejects.toMatchObject({ code: '23505' });
    });

    it('returns false for an account already deleted', async () => {
      const user = await createUser(db.sql);
      const call = () =>
        asUser(db.sql, user.id, (tx) => tx`select public.soft_delete_user(${user.id}) as deleted`);

      const [first] = await call();
      const [second] = await call();

      expect([first?.deleted, second?.deleted]).toEqual([true, false]);
    });

    it("refuses to delete another user's account", async () => {
      const [me, other] = await Promise.all([createUser(db.sql), createUser(db.sql)]);

      await expect(
        asUser(db.sql, me.id, (tx) => tx`select public.soft_delete_user(${other.id})`),
      ).rejects.toMatchObject({ code: '42501' });
      const [row] = await db.sql`select deleted_at from public.users where id = ${other.id}`;
      expect(row?.deleted_at).toBeNull();
    });
  });
});
