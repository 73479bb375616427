/**
 * Rows the schema tests arrange directly as the owner (row-level security does not apply to the
 * owner), and transactions as the application roles.
 */
import { randomUUID } from 'node:crypto';
import { transaction, type DbRole, type Sql, type Tx } from '../../functions/core/db';

export interface UserFixture {
  readonly id: string;
  readonly profileId: string;
}

let counter = 0;

/** A verified user with a health profile, unless told otherwise. */
export async function createUser(
  sql: Sql,
  options: {
    verified?: boolean;
    timeZone?: string;
    profile?: boolean;
    email?: string;
    username?: string;
  } = {},
): Promise<UserFixture> {
  const id = randomUUID();
  counter += 1;
  const tag = `${process.pid.toString(36)}${counter}`;
  await sql`
    insert into public.users (id, username, email, password_hash, is_email_verified, time_zone)
    values (${id}, ${options.username ?? `u_${tag}`}, ${options.email ?? `user${tag}@example.com`}, 'scrypt$test',
            ${options.verified ?? true}, ${options.timeZone ?? 'UTC'})`;
  const profileId = randomUUID();
  if (options.profile ?? options.verified ?? true) {
    await sql`insert into public.health_profiles (id, user_id) values (${profileId}, ${id})`;
  }
  return { id, profileId };
}

export async function giveConsent(sql: Sql, userId: string, type: string): Promise<void> {
  await sql`insert into public.user_consents (user_id, consent_type, policy_version) values (${userId}, ${type}, '2026-11')`;
}

export async function allergenId(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from health.allergens where name = ${name}`;
  if (!row) throw new Error(`no allergen ${name}`);
  return row.id;
}

/** A restaurant with one meal; returns both ids. */
export async function createMeal(
  sql: Sql,
  options: { ingredientsComplete?: boolean; restaurantId?: string } = {},
): Promise<{ restaurantId: string; mealId: string }> {
  let restaurantId = options.restaurantId;
  if (!restaurantId) {
    restaurantId = randomUUID();
    await sql`
      insert into public.restaurants (id, name, address, city, state, zip_code, latitude, longitude)
      values (${restaurantId}, ${`Test Kitchen ${restaurantId}`}, '1 Main St', 'Seattle', 'WA', '98101', 47.6062, -122.3321)`;
  }
  const mealId = randomUUID();
  await sql`
    insert into public.meals (id, restaurant_id, name, price, ingredients_complete)
    values (${mealId}, ${restaurantId}, ${`Test meal ${mealId}`}, 12.50, ${options.ingredientsComplete ?? false})`;
  return { restaurantId, mealId };
}

/** Runs fn in a transaction as the given role and user ('' = no user), like functions/core/db.ts. */
export function asRole<T>(sql: Sql, role: string, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(sql, { role: role as DbRole, userId }, fn);
}

class Rollback extends Error {}

/** Runs fn in a transaction that is always rolled back; resolves with fn's result. */
export async function rolledBack<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    // As the owner: the prologue sets no role.
    await transaction(
      sql,
      { role: 'eatsential_admin' },
      async (tx) => {
        result = await fn(tx);
        throw new Rollback();
      },
      { prologue: 'select 1' },
    );
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return result as T;
}
