/**
 * A person with a row in every table that can hold something of theirs, arranged as the owner.
 * The lifecycle tests check from the catalog that no person-linked table is left out: a table
 * added later fails them until it is filled here too (and so is covered by purge and export).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../functions/core/db';
import { seal, type Keyring } from '../../functions/core/notes';
import { allergenId, createMeal, createUser, type UserFixture } from '../db/fixtures';

export const keyring = (current: number): Keyring => ({
  current,
  keys: new Map([1, 2, 3].map((v) => [v, Buffer.alloc(32, v)])),
});

export async function fillPerson(
  sql: Sql,
  options: { loggedAt?: Date; ring?: Keyring } = {},
): Promise<UserFixture> {
  const user = await createUser(sql);
  const { id, profileId } = user;
  const ring = options.ring ?? keyring(1);
  const note = (table: string, column = 'notes_encrypted') =>
    seal(ring, `note of ${id} in ${table}`, { table, column, userId: id });
  const at = options.loggedAt ?? new Date();
  const n1 = note('public.user_allergies');
  await sql`insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity, notes_encrypted, notes_key_version)
            values (${id}, ${profileId}, ${await allergenId(sql, 'Peanuts')}, 'SEVERE', ${n1.ciphertext}, ${n1.keyVersion})`;
  const [restriction] = await sql<{ id: string }[]>`select id from health.dietary_restrictions_ref limit 1`;
  await sql`insert into public.user_dietary_restrictions (user_id, health_profile_id, restriction_id)
            values (${id}, ${profileId}, ${restriction!.id})`;
  const [condition] = await sql<{ id: string }[]>`select id from health.medical_conditions_ref limit 1`;
  const n2 = note('public.user_medical_conditions');
  await sql`insert into public.user_medical_conditions (user_id, health_profile_id, condition_id, notes_encrypted, notes_key_version)
            values (${id}, ${profileId}, ${condition!.id}, ${n2.ciphertext}, ${n2.keyVersion})`;
  await sql`insert into public.user_fitness_goals (user_id, health_profile_id, goal_type) values (${id}, ${profileId}, 'maintenance')`;
  await sql`insert into public.user_consents (user_id, consent_type, policy_version) values (${id}, 'mental_health_tracking', '2026-11')`;
  await sql`insert into public.user_preferences (user_id) values (${id})`;
  const meal = await createMeal(sql);
  const [rec] = await sql<{ id: string }[]>`
    insert into public.recommendations (user_id, meal_id, restaurant_id) values (${id}, ${meal.mealId}, ${meal.restaurantId}) returning id`;
  const c1 = note('public.feedback', 'comment_encrypted');
  await sql`insert into public.feedback (user_id, recommendation_id, rating, comment_encrypted, comment_key_version)
            values (${id}, ${rec!.id}, 4, ${c1.ciphertext}, ${c1.keyVersion})`;
  await sql`insert into public.user_payment_methods (user_id, card_number_encrypted, card_last4, card_holder, expires_month, expires_year)
            values (${id}, ${randomBytes(40)}, '4242', 'A Person', 12, 2030)`;
  await sql`insert into public.idempotency_keys (user_id, route, key, request_hash) values (${id}, 'POST /me/x', ${randomUUID()}, ${randomBytes(32)})`;
  await sql`insert into auth.registration_attempt_emails (user_id) values (${id})`;
  const m1 = note('auth.mail_outbox', 'payload_encrypted');
  await sql`insert into auth.mail_outbox (user_id, kind, payload_encrypted, payload_key_version)
            values (${id}, 'password_changed', ${m1.ciphertext}, ${m1.keyVersion})`;
  await sql`insert into auth.verification_tokens (user_id, token_hash, token_type, expires_at)
            values (${id}, ${randomBytes(32)}, 'email_verify', now() + interval '1 day')`;
  const [session] = await sql<{ id: string }[]>`
    insert into auth.user_sessions (user_id, refresh_token_hash, ip_address, user_agent, expires_at)
    values (${id}, ${randomBytes(32)}, '192.0.2.7', 'phone', now() + interval '30 days') returning id`;
  await sql`insert into auth.rotated_refresh_tokens (token_hash, session_id) values (${randomBytes(32)}, ${session!.id})`;
  await sql`insert into auth.password_history (user_id, password_hash) values (${id}, 'scrypt$old')`;
  const n3 = note('health.mental_wellness_goals');
  await sql`insert into health.mental_wellness_goals (user_id, goal_type, target_value, target_unit, frequency, notes_encrypted, notes_key_version, created_at)
            values (${id}, 'sleep_duration', 8, 'hours', 'daily', ${n3.ciphertext}, ${n3.keyVersion}, ${at})`;
  const n4 = note('health.mood_logs');
  await sql`insert into health.mood_logs (user_id, mood_score, mood_label, energy_level, context, notes_encrypted, notes_key_version, logged_at, created_at)
            values (${id}, 7, 'good', 5, 'at work', ${n4.ciphertext}, ${n4.keyVersion}, ${at}, ${at})`;
  const n5 = note('health.stress_logs');
  const t5 = note('health.stress_logs', 'triggers_other_encrypted');
  const c5 = note('health.stress_logs', 'coping_other_encrypted');
  await sql`insert into health.stress_logs (user_id, stress_level, stress_label, triggers, notes_encrypted, notes_key_version,
                                            triggers_other_encrypted, triggers_other_key_version, coping_other_encrypted,
                                            coping_other_key_version, logged_at, created_at)
            values (${id}, 6, 'moderate', ${['work']}, ${n5.ciphertext}, ${n5.keyVersion}, ${t5.ciphertext}, ${t5.keyVersion},
                    ${c5.ciphertext}, ${c5.keyVersion}, ${at}, ${at})`;
  const n6 = note('health.sleep_logs');
  await sql`insert into health.sleep_logs (user_id, sleep_date, bedtime, wake_time, quality_score, quality_label, notes_encrypted, notes_key_version, logged_at, created_at)
            values (${id}, ${at.toISOString().slice(0, 10)}, '23:30', '07:00', 6, 'good', ${n6.ciphertext}, ${n6.keyVersion}, ${at}, ${at})`;
  const n7 = note('health.ai_chat_sessions', 'context_summary_encrypted');
  const s7 = note('health.ai_chat_sessions', 'session_title_encrypted');
  await sql`insert into health.ai_chat_sessions (user_id, session_title_encrypted, session_title_key_version, llm_model,
                                                 context_summary_encrypted, context_summary_key_version, created_at)
            values (${id}, ${s7.ciphertext}, ${s7.keyVersion}, 'gpt-4', ${n7.ciphertext}, ${n7.keyVersion}, ${at})`;
  const n8 = note('health.mindfulness_sessions');
  await sql`insert into health.mindfulness_sessions (user_id, practice, duration_minutes, notes_encrypted, notes_key_version, logged_at, created_at)
            values (${id}, 'breathing', 10, ${n8.ciphertext}, ${n8.keyVersion}, ${at}, ${at})`;
  await sql`insert into audit.data_reads (user_id, subject_user_id, tables, row_count, route)
            values (${id}, ${id}, ${['health.mood_logs']}, 1, 'GET /me/mood-logs')`;
  // A change the person made themselves: audit.data_changes names them as the actor.
  await sql.begin(async (tx) => {
    await tx`select set_config('app.current_user_id', ${id}, true)`;
    await tx`update public.user_preferences set price_range = 2 where user_id = ${id}`;
  });
  await sql`insert into public.data_exports (user_id, status, object_key, size_bytes, sha256, ready_at, expires_at)
            values (${id}, 'ready', ${`exports/${id}/${randomUUID()}.json`}, 2, ${'0'.repeat(64)}, now(), now() + interval '7 days')`;
  await sql`insert into audit.audit_logs (user_id, event, ip) values (${id}, 'auth.login', '192.0.2.7')`;
  await sql`insert into audit.access_logs (user_id, session_id, ip_address, user_agent, endpoint, method, status_code)
            values (${id}, ${session!.id}, '192.0.2.7', 'phone', '/me', 'GET', 200)`;
  return user;
}

export interface PersonColumn {
  table_schema: string;
  table_name: string;
  column_name: string;
  action: 'delete' | 'unlink';
}

export const personColumns = (sql: Sql) =>
  sql<PersonColumn[]>`select * from lifecycle.person_columns() order by 1, 2, 3`;

/** Rows of every person-linked column that point at the account. */
export async function rowsOf(sql: Sql, account: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of await personColumns(sql)) {
    const [r] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${c.table_schema}"."${c.table_name}" where "${c.column_name}" = $1`,
      [account],
    );
    out[`${c.table_schema}.${c.table_name}.${c.column_name}`] = r!.n;
  }
  return out;
}
