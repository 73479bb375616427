import { randomBytes } from 'node:crypto';
import type { Sql, Tx } from '../../functions/core/db';
import { useTestDatabase } from '../support';
import {
  allergenId,
  asRole,
  createMeal,
  createUser,
  giveConsent,
  rolledBack,
  type UserFixture,
} from './fixtures';

type Op = 'select' | 'insert' | 'update' | 'delete';
type Row = Record<string, unknown>;

interface Refs {
  mealId: string;
  restaurantId: string;
  allergens: string[];
  restrictions: string[];
  conditions: string[];
  sessionOf: Map<string, string>;
}

interface OwnedTable {
  readonly table: string;
  readonly key: string;
  /** A column to set to itself in update probes. */
  readonly column: string;
  /** What eatsential_write may do at all; the rest is refused whoever the row belongs to. */
  readonly write: readonly Op[];
  /** A valid row of user u; n varies whatever must be unique. */
  readonly row: (u: UserFixture, n: number, r: Refs) => Row;
}

const all: readonly Op[] = ['select', 'insert', 'update', 'delete'];
const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;

// One line per table reads as a list.
// prettier-ignore
const ownedTables: OwnedTable[] = [
  { table: 'public.users', key: 'id', column: 'time_zone', write: ['select', 'update'],
    row: (_u, n) => ({ username: `someone_${n}`, email: `someone${n}@example.com`, password_hash: 'scrypt$test' }) },
  { table: 'public.health_profiles', key: 'id', column: 'height_cm', write: all, row: (u) => ({ user_id: u.id }) },
  { table: 'public.user_allergies', key: 'id', column: 'severity', write: all,
    row: (u, n, r) => ({ user_id: u.id, health_profile_id: u.profileId, allergen_id: pick(r.allergens, n), severity: 'MILD' }) },
  { table: 'public.user_dietary_restrictions', key: 'id', column: 'restriction_id', write: all,
    row: (u, n, r) => ({ user_id: u.id, health_profile_id: u.profileId, restriction_id: pick(r.restrictions, n) }) },
  { table: 'public.user_medical_conditions', key: 'id', column: 'diagnosed_date', write: all,
    row: (u, n, r) => ({ user_id: u.id, health_profile_id: u.profileId, condition_id: pick(r.conditions, n) }) },
  { table: 'public.user_fitness_goals', key: 'id', column: 'status', write: all,
    row: (u) => ({ user_id: u.id, health_profile_id: u.profileId, goal_type: 'maintenance' }) },
  { table: 'public.user_consents', key: 'id', column: 'revoked_at', write: ['select', 'insert', 'update'],
    row: (u, n) => ({ user_id: u.id, consent_type: pick(['marketing', 'terms_of_service', 'mental_health_sharing'], n), policy_version: '2026-11' }) },
  { table: 'public.recommendations', key: 'id', column: 'status', write: all,
    row: (u, _n, r) => ({ user_id: u.id, meal_id: r.mealId, restaurant_id: r.restaurantId, score: 0.9 }) },
  { table: 'public.user_preferences', key: 'user_id', column: 'cuisines', write: all, row: (u) => ({ user_id: u.id }) },
  { table: 'public.feedback', key: 'id', column: 'rating', write: all, row: (u) => ({ user_id: u.id, rating: 4 }) },
  { table: 'public.user_payment_methods', key: 'id', column: 'card_holder', write: all,
    row: (u) => ({ user_id: u.id, card_number_encrypted: randomBytes(48), card_last4: '4242', card_holder: 'A Person', expires_month: 12, expires_year: 2030 }) },
  { table: 'health.mental_wellness_goals', key: 'id', column: 'status', write: all,
    row: (u) => ({ user_id: u.id, goal_type: 'stress_reduction', target_value: 3, target_unit: 'score', frequency: 'weekly' }) },
  { table: 'health.mood_logs', key: 'id', column: 'mood_score', write: all,
    row: (u) => ({ user_id: u.id, mood_score: 6, mood_label: 'good' }) },
  { table: 'health.stress_logs', key: 'id', column: 'stress_level', write: all,
    row: (u) => ({ user_id: u.id, stress_level: 4, stress_label: 'low' }) },
  { table: 'health.sleep_logs', key: 'id', column: 'quality_score', write: all,
    row: (u, n) => ({ user_id: u.id, sleep_date: `2026-02-${String(n + 1).padStart(2, '0')}`, bedtime: '23:30', wake_time: '07:00', quality_score: 6, quality_label: 'good' }) },
  { table: 'health.ai_chat_sessions', key: 'id', column: 'message_count', write: all,
    row: (u) => ({ user_id: u.id, llm_model: 'claude-3-sonnet' }) },
  { table: 'auth.user_sessions', key: 'id', column: 'revoked_at', write: ['select', 'update'],
    row: (u) => ({ user_id: u.id, refresh_token_hash: randomBytes(32), expires_at: new Date(Date.now() + 86_400_000) }) },
  { table: 'auth.verification_tokens', key: 'id', column: 'used_at', write: [],
    row: (u) => ({ user_id: u.id, token_hash: randomBytes(32), token_type: 'password_reset', expires_at: new Date(Date.now() + 3_600_000) }) },
  { table: 'auth.password_history', key: 'id', column: 'password_hash', write: [],
    row: (u) => ({ user_id: u.id, password_hash: 'scrypt$old' }) },
  { table: 'auth.rotated_refresh_tokens', key: 'token_hash', column: 'rotated_at', write: [],
    row: (u, _n, r) => ({ token_hash: randomBytes(32), session_id: r.sessionOf.get(u.id) }) },
  { table: 'auth.registration_attempt_emails', key: 'user_id', column: 'sent_at', write: [],
    row: (u) => ({ user_id: u.id }) },
];

const mentalWellnessTables = ownedTables.filter((t) => t.table.startsWith('health.'));

const refused = { code: '42501' };

describe('row-level security', () => {
  const db = useTestDatabase();
  let a: UserFixture;
  let b: UserFixture;
  const refs: Refs = {
    mealId: '',
    restaurantId: '',
    allergens: [],
    restrictions: [],
    conditions: [],
    sessionOf: new Map(),
  };
  /** The row of each table that belongs to A and to B (for public.users: the accounts). */
  const keys = new Map<string, { a: unknown; b: unknown }>();

  const insertAsOwner = async (sql: Sql, t: OwnedTable, u: UserFixture, n: number) => {
    const [row] =
      await sql`insert into ${sql(t.table)} ${sql(t.row(u, n, refs))} returning ${sql(t.key)} as key`;
    return row?.key as unknown;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([createUser(db.sql), createUser(db.sql)]);
    for (const u of [a, b]) await giveConsent(db.sql, u.id, 'mental_health_tracking');
    ({ mealId: refs.mealId, restaurantId: refs.restaurantId } = await createMeal(db.sql));
    refs.allergens = await Promise.all(['Milk', 'Eggs', 'Fish'].map((n) => allergenId(db.sql, n)));
    refs.restrictions = (await db.sql`select id from health.dietary_restrictions_ref order by name`).map(
      (r) => r.id,
    );
    refs.conditions = (await db.sql`select id from health.medical_conditions_ref order by name`).map(
      (r) => r.id,
    );
    for (const u of [a, b]) {
      const [s] = await db.sql`insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
                               values (${u.id}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
      refs.sessionOf.set(u.id, s?.id);
    }
    for (const t of ownedTables) {
      if (t.table === 'public.users') keys.set(t.table, { a: a.id, b: b.id });
      else if (t.table === 'public.health_profiles') keys.set(t.table, { a: a.profileId, b: b.profileId });
      else
        keys.set(t.table, {
          a: await insertAsOwner(db.sql, t, a, 0),
          b: await insertAsOwner(db.sql, t, b, 0),
        });
    }
  });

  /** As eatsential_write with the given user ('' = none), rolled back afterwards. */
  const asWrite = <T>(userId: string, fn: (tx: Tx) => Promise<T>) =>
    rolledBack(db.sql, async (tx) => {
      await tx`select set_config('app.current_user_id', ${userId}, true), set_config('role', 'eatsential_write', true)`;
      return fn(tx);
    });

  const visible = (tx: Tx, t: OwnedTable) => {
    const k = keys.get(t.table);
    return tx`select ${tx(t.key)} = ${k?.a as string} as mine from ${tx(t.table)}
              where ${tx(t.key)} = ${k?.a as string} or ${tx(t.key)} = ${k?.b as string}`;
  };
  const updateOf = (tx: Tx, t: OwnedTable, who: 'a' | 'b') =>
    tx`update ${tx(t.table)} set ${tx(t.column)} = ${tx(t.column)} where ${tx(t.key)} = ${keys.get(t.table)?.[who] as string}`;
  const deleteOf = (tx: Tx, t: OwnedTable, who: 'a' | 'b') =>
    tx`delete from ${tx(t.table)} where ${tx(t.key)} = ${keys.get(t.table)?.[who] as string}`;

  describe.each(ownedTables)('$table as eatsential_write', (t) => {
    const can = (op: Op) => t.write.includes(op);

    it(can('select') ? "shows A's row and not B's" : 'refuses to show any row', async () => {
      const seen = asWrite(a.id, (tx) => visible(tx, t));

      if (can('select')) expect(await seen).toEqual([{ mine: true }]);
      else await expect(seen).rejects.toMatchObject(refused);
    });

    it(can('update') ? "updates A's row and touches none of B's" : 'refuses updates', async () => {
      const counts = asWrite(a.id, async (tx) => [
        (await updateOf(tx, t, 'a')).count,
        (await updateOf(tx, t, 'b')).count,
      ]);

      if (can('update')) expect(await counts).toEqual([1, 0]);
      else await expect(counts).rejects.toMatchObject(refused);
    });

    it(can('delete') ? "deletes A's row and touches none of B's" : 'refuses deletes', async () => {
      const counts = asWrite(a.id, async (tx) => [
        (await deleteOf(tx, t, 'b')).count,
        (await deleteOf(tx, t, 'a')).count,
      ]);

      if (can('delete')) expect(await counts).toEqual([0, 1]);
      else await expect(counts).rejects.toMatchObject(refused);
    });

    it('refuses to insert a row for B (42501)', async () => {
      await expect(
        asWrite(a.id, (tx) => tx`insert into ${tx(t.table)} ${tx(t.row(b, 1, refs))}`),
      ).rejects.toMatchObject(refused);
    });

    if (can('insert')) {
      it('inserts a row for A', async () => {
        const inserted = asWrite(
          a.id,
          async (tx) => (await tx`insert into ${tx(t.table)} ${tx(t.row(a, 2, refs))}`).count,
        );

        if (t.table === 'public.health_profiles' || t.table === 'public.user_preferences') {
          await expect(inserted).rejects.toMatchObject({ code: '23505' }); // one per user, A has it
        } else {
          expect(await inserted).toBe(1);
        }
      });
    }

    it('returns nothing and changes nothing with no user set', async () => {
      const probe = asWrite('', async (tx) => [
        (await tx`select 1 from ${tx(t.table)}`).length,
        (await updateOf(tx, t, 'a')).count,
      ]);

      if (can('select') && can('update')) expect(await probe).toEqual([0, 0]);
      else await expect(probe).rejects.toMatchObject(refused);
    });

    it('lets jobs (eatsential_admin) see every user', async () => {
      const rows = await asRole(db.sql, 'eatsential_admin', '', (tx) => visible(tx, t));

      expect(rows.map((r) => r.mine).sort()).toEqual([false, true]);
    });
  });

  describe('mental-wellness tables', () => {
    it.each(mentalWellnessTables)(
      '$table refuses a row without an active tracking consent (42501)',
      async (t) => {
        const user = await createUser(db.sql);
        await db.sql`insert into public.user_consents (user_id, consent_type, policy_version, revoked_at)
                   values (${user.id}, 'mental_health_tracking', '2026-11', now())`;

        await expect(
          asWrite(user.id, (tx) => tx`insert into ${tx(t.table)} ${tx(t.row(user, 3, refs))}`),
        ).rejects.toMatchObject(refused);
      },
    );

    it.each(mentalWellnessTables)('$table is closed to the identity service', async (t) => {
      await expect(
        asRole(db.sql, 'eatsential_auth', '', (tx) => tx`select 1 from ${tx(t.table)}`),
      ).rejects.toMatchObject(refused);
    });
  });

  describe('mental_health_reader', () => {
    let sharing: UserFixture;
    let withdrawn: UserFixture;

    beforeAll(async () => {
      [sharing, withdrawn] = await Promise.all([createUser(db.sql), createUser(db.sql)]);
      await giveConsent(db.sql, sharing.id, 'mental_health_sharing');
      await db.sql`insert into public.user_consents (user_id, consent_type, policy_version, granted_at, revoked_at)
                   values (${withdrawn.id}, 'mental_health_sharing', '2026-11', now() - interval '1 day', now())`;
      for (const t of mentalWellnessTables) {
        for (const u of [sharing, withdrawn]) await insertAsOwner(db.sql, t, u, 4);
      }
    });

    it.each(mentalWellnessTables)('sees $table rows only of users who share them', async (t) => {
      const users = await asRole(
        db.sql,
        'mental_health_reader',
        '',
        (tx) => tx`select distinct user_id from ${tx(t.table)}`,
      );

      expect(users.map((r) => r.user_id)).toEqual([sharing.id]);
    });

    it.each(['public.users', 'public.user_allergies', 'public.user_consents', 'public.health_profiles'])(
      'cannot read %s',
      async (table) => {
        await expect(
          asRole(db.sql, 'mental_health_reader', '', (tx) => tx`select 1 from ${tx(table)}`),
        ).rejects.toMatchObject(refused);
      },
    );

    it('decrypts a note the application encrypted, which the API role cannot', async () => {
      const key = randomBytes(32).toString('base64');
      const [enc] = await asRole(
        db.sql,
        'eatsential_write',
        a.id,
        (tx) =>
          tx`select public.encrypt_mental_health_note('slept badly, worried about exams', ${key}) as note`,
      );

      const [dec] = await asRole(
        db.sql,
        'mental_health_reader',
        '',
        (tx) => tx`select public.decrypt_mental_health_note(${enc?.note as Buffer}, ${key}) as note`,
      );

      expect(dec?.note).toBe('slept badly, worried about exams');
      await expect(
        asRole(
          db.sql,
          'eatsential_write',
          a.id,
          (tx) => tx`select public.decrypt_mental_health_note(${enc?.note as Buffer}, ${key})`,
        ),
      ).rejects.toMatchObject(refused);
    });
  });
});
