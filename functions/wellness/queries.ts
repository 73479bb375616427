import type { Tx } from '../core/db';
import { intLiteral, textLiteral, uuidLiteral } from '../core/literal';
import type { Keyset } from '../core/pagination';

/**
 * All SQL of the wellness domain. Every statement runs inside the signed-in request's transaction
 * as `eatsential_write` with `app.current_user_id` set: row-level security shows and changes only
 * the caller's own rows (another person's id finds nothing: 404), and the insert and update
 * policies of the mental-wellness tables also require an active mental_health_tracking consent.
 * Notes arrive here already sealed (functions/core/notes.ts); the audit triggers leave them out.
 */

export const trackingConsent = 'mental_health_tracking';

/** The mental-wellness tables of a person, in the order their rows are deleted. */
export const wellnessTables = [
  'health.mood_logs',
  'health.stress_logs',
  'health.sleep_logs',
  'health.mindfulness_sessions',
  'health.mental_wellness_goals',
  'health.ai_chat_sessions',
] as const;
export type WellnessTable = (typeof wellnessTables)[number];

// ---- consent -------------------------------------------------------------------------------

export interface ConsentRow {
  id: string;
  consent_type: string;
  policy_version: string;
  granted_at: Date;
  revoked_at: Date | null;
}

// The consent gate and the read audit run on every wellness request: literals, not parameters,
// so each costs one round trip rather than a describe and an execute (core/literal.ts).

/** Whether a person has an active consent of a type: `active`. */
export const consentCheck = (userId: string, type: string): string =>
  `select public.has_active_consent(${uuidLiteral(userId)}, ${textLiteral(type)}) as active,
     (select time_zone from public.users where id = ${uuidLiteral(userId)}) as time_zone`;

export async function hasActiveConsent(tx: Tx, userId: string, type: string): Promise<boolean> {
  const [row] = await tx.unsafe<{ active: boolean }[]>(consentCheck(userId, type));
  return row?.active === true;
}

export const consents = (tx: Tx) => tx<ConsentRow[]>`
  select id, consent_type, policy_version, granted_at, revoked_at
  from public.user_consents order by granted_at desc, id desc`;

export async function activeConsent(tx: Tx, type: string): Promise<ConsentRow | undefined> {
  const [row] = await tx<ConsentRow[]>`
    select id, consent_type, policy_version, granted_at, revoked_at
    from public.user_consents where consent_type = ${type} and revoked_at is null
    for update`;
  return row;
}

export async function insertConsent(
  tx: Tx,
  userId: string,
  type: string,
  policyVersion: string,
): Promise<ConsentRow | undefined> {
  // Two phones granting at once: the second waits for the first and inserts nothing (the one
  // active consent per type is a partial unique index), then reads the first's.
  const [row] = await tx<ConsentRow[]>`
    insert into public.user_consents (user_id, consent_type, policy_version)
    values (${userId}, ${type}, ${policyVersion})
    on conflict (user_id, consent_type) where revoked_at is null do nothing
    returning id, consent_type, policy_version, granted_at, revoked_at`;
  return row;
}

/** The trigger stamps revoked_at with the transaction time, whatever value is sent. */
export async function revokeConsent(tx: Tx, id: string): Promise<ConsentRow> {
  const [row] = await tx<ConsentRow[]>`
    update public.user_consents set revoked_at = now() where id = ${id}
    returning id, consent_type, policy_version, granted_at, revoked_at`;
  return row as ConsentRow;
}

export async function holdsWellnessData(tx: Tx): Promise<boolean> {
  const [row] = await tx<{ any: boolean }[]>`
    select exists (select 1 from health.mood_logs)
        or exists (select 1 from health.stress_logs)
        or exists (select 1 from health.sleep_logs)
        or exists (select 1 from health.mindfulness_sessions)
        or exists (select 1 from health.mental_wellness_goals)
        or exists (select 1 from health.ai_chat_sessions) as any`;
  return row?.any === true;
}

/** Deletes every mental-wellness row the caller can see, which row-level security limits to their own. */
export async function deleteWellnessData(tx: Tx): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const table of wellnessTables) {
    const rows = await tx`delete from ${tx(table)} returning 1`;
    deleted[table.replace('health.', '')] = rows.length;
  }
  return deleted;
}

// ---- read audit ----------------------------------------------------------------------------

export interface ReadRecord {
  readonly userId: string;
  readonly tables: readonly string[];
  readonly rows: number;
  readonly route: string;
  readonly requestId: string;
}

/** The audit.data_reads row of one read of a person's wellness data. */
export function readAudit(r: ReadRecord): string {
  const tables = `array[${r.tables.map(textLiteral).join(', ')}]::text[]`;
  return `insert into audit.data_reads (user_id, subject_user_id, tables, row_count, route, request_id)
    values (${uuidLiteral(r.userId)}, ${uuidLiteral(r.userId)}, ${tables}, ${intLiteral(r.rows)},
            ${textLiteral(r.route)}, ${textLiteral(r.requestId.slice(0, 128))})`;
}

export async function recordRead(tx: Tx, r: ReadRecord): Promise<void> {
  await tx.unsafe(readAudit(r));
}

// ---- vocabulary ----------------------------------------------------------------------------

export const stressTriggers = (tx: Tx) => tx<{ code: string; label: string }[]>`
  select code, label from health.stress_triggers_ref where is_active order by label`;
export const copingStrategies = (tx: Tx) => tx<{ code: string; label: string }[]>`
  select code, label from health.coping_strategies_ref where is_active order by label`;
export const llmModels = (tx: Tx) => tx<{ code: string; display_name: string; provider: string }[]>`
  select code, display_name, provider from health.llm_models where is_active order by code`;

/** Codes of the list that are not in the vocabulary (inactive ones stay valid for old entries). */
export async function unknownCodes(
  tx: Tx,
  table: 'health.stress_triggers_ref' | 'health.coping_strategies_ref',
  codes: readonly string[],
): Promise<string[]> {
  if (codes.length === 0) return [];
  const rows = await tx<{ code: string }[]>`
    select c.code from unnest(${codes as string[]}::text[]) c (code)
    where not exists (select 1 from ${tx(table)} r where r.code = c.code)`;
  return rows.map((r) => r.code);
}

export async function isActiveModel(tx: Tx, code: string): Promise<boolean> {
  const [row] = await tx`select 1 from health.llm_models where code = ${code} and is_active`;
  return row !== undefined;
}

// ---- logs ----------------------------------------------------------------------------------

export type LogTable =
  'health.mood_logs' | 'health.stress_logs' | 'health.sleep_logs' | 'health.mindfulness_sessions';
export type Row = Record<string, unknown> & { id: string };

/** Columns as the views want them: dates and times as text, duration as a number. */
const selected: Record<LogTable, string> = {
  'health.mood_logs': `id, mood_score, mood_label, energy_level, context, notes_encrypted, notes_key_version,
    logged_at, local_date::text as local_date, created_at`,
  'health.stress_logs': `id, stress_level, stress_label, coalesce(triggers, '{}') as triggers,
    coalesce(coping_strategies, '{}') as coping_strategies, triggers_other_encrypted, triggers_other_key_version,
    coping_other_encrypted, coping_other_key_version, notes_encrypted, notes_key_version,
    logged_at, local_date::text as local_date, created_at`,
  'health.sleep_logs': `id, sleep_date::text as sleep_date, to_char(bedtime, 'HH24:MI') as bedtime,
    to_char(wake_time, 'HH24:MI') as wake_time, duration_hours::float8 as duration_hours, quality_score,
    quality_label, interruptions, notes_encrypted, notes_key_version, logged_at, created_at`,
  'health.mindfulness_sessions': `id, practice, duration_minutes, notes_encrypted, notes_key_version,
    logged_at, local_date::text as local_date, created_at`,
};

/** The day column a log is listed by, and the keyset it pages by. */
const dayColumn = (table: LogTable) => (table === 'health.sleep_logs' ? 'sleep_date' : 'local_date');
const sortKey = (table: LogTable) =>
  table === 'health.sleep_logs' ? `(sleep_date::timestamp at time zone 'UTC')` : 'logged_at';

/** Inserts the entry unless its id (or, for sleep, its night) is taken: undefined then. */
export async function insertLog(tx: Tx, table: LogTable, values: Row): Promise<Row | undefined> {
  const [row] = await tx<Row[]>`
    insert into ${tx(table)} ${tx(values)}
    on conflict do nothing
    returning ${tx.unsafe(selected[table])}`;
  return row;
}

export async function log(tx: Tx, table: LogTable, id: string, options: { lock?: boolean } = {}) {
  const [row] = await tx<Row[]>`
    select ${tx.unsafe(selected[table])} from ${tx(table)} where id = ${id}
    ${options.lock ? tx`for update` : tx``}`;
  return row;
}

export async function sleepLogOn(tx: Tx, sleepDate: string): Promise<Row | undefined> {
  const [row] = await tx<Row[]>`
    select ${tx.unsafe(selected['health.sleep_logs'])} from health.sleep_logs where sleep_date = ${sleepDate}`;
  return row;
}

export async function updateLog(tx: Tx, table: LogTable, id: string, values: Row | Record<string, unknown>) {
  const [row] = await tx<Row[]>`
    update ${tx(table)} set ${tx(values)} where id = ${id}
    returning ${tx.unsafe(selected[table])}`;
  return row;
}

export async function deleteLog(tx: Tx, table: LogTable, id: string): Promise<boolean> {
  return (await tx`delete from ${tx(table)} where id = ${id} returning 1`).length > 0;
}

/** Newest first, within local days [from, to], after the keyset; limit + 1 rows to tell if more follow. */
export const logs = (
  tx: Tx,
  table: LogTable,
  q: { from?: string; to?: string; after: Keyset | null; limit: number },
) => tx<Row[]>`
  select ${tx.unsafe(selected[table])}, ${tx.unsafe(sortKey(table))} as sort_at
  from ${tx(table)}
  where ${tx.unsafe(dayColumn(table))} >= coalesce(${q.from ?? null}::date, '-infinity'::date)
    and ${tx.unsafe(dayColumn(table))} <= coalesce(${q.to ?? null}::date, 'infinity'::date)
    ${
      q.after
        ? tx`and (${tx.unsafe(sortKey(table))}, id) < (${q.after.at}::timestamptz, ${q.after.id}::uuid)`
        : tx``
    }
  order by ${tx.unsafe(sortKey(table))} desc, id desc
  limit ${q.limit + 1}`;

// ---- daily series (progress, insights) -------------------------------------------------------

export interface DayValues {
  day: string;
  mood: number | null;
  energy: number | null;
  stress: number | null;
  sleep_duration: number | null;
  sleep_quality: number | null;
  mindfulness_minutes: number | null;
  entries: number;
}

/**
 * One row per local day of [from, to] that has any entry: the day's mean mood, energy and stress,
 * the night ending that morning (sleep_date is the day of waking) and the minutes of mindfulness.
 * `entries` is how many rows went into the day, for the read audit. `health.daily_values`
 * (migration 20261205100000): a function, so its plan is kept for the connection.
 */
export const dailyValues = (tx: Tx, from: string, to: string) => tx<DayValues[]>`
  select day, mood, energy, stress, sleep_duration, sleep_quality, mindfulness_minutes, entries
  from health.daily_values(${from}::date, ${to}::date)`;

/** The caller's time zone: "today" for them. */
export async function timeZone(tx: Tx, userId: string): Promise<string> {
  const [row] = await tx<{ time_zone: string }[]>`select time_zone from public.users where id = ${userId}`;
  if (!row) throw new Error('the signed-in user has no account row');
  return row.time_zone;
}

// ---- goals ---------------------------------------------------------------------------------

export interface GoalRow {
  id: string;
  goal_type: string;
  target_value: number;
  target_unit: string;
  frequency: string;
  start_date: string;
  end_date: string | null;
  status: string;
  notes_encrypted: Buffer | null;
  notes_key_version: number | null;
  created_at: Date;
  updated_at: Date;
}

const goalColumns = `id, goal_type, target_value::float8 as target_value, target_unit, frequency,
  start_date::text as start_date, end_date::text as end_date, status, notes_encrypted, notes_key_version,
  created_at, updated_at`;

export const goals = (tx: Tx, id?: string) => tx<GoalRow[]>`
  select ${tx.unsafe(goalColumns)} from health.mental_wellness_goals
  ${id === undefined ? tx`` : tx`where id = ${id}`}
  order by created_at desc, id desc`;

export async function insertGoal(tx: Tx, values: Record<string, unknown>): Promise<GoalRow> {
  const [row] = await tx<GoalRow[]>`
    insert into health.mental_wellness_goals ${tx(values)} returning ${tx.unsafe(goalColumns)}`;
  return row as GoalRow;
}

export async function updateGoal(tx: Tx, id: string, values: Record<string, unknown>) {
  const [row] = await tx<GoalRow[]>`
    update health.mental_wellness_goals set ${tx(values)} where id = ${id} returning ${tx.unsafe(goalColumns)}`;
  return row;
}

export async function deleteGoal(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from health.mental_wellness_goals where id = ${id} returning 1`).length > 0;
}

// ---- AI chat sessions ----------------------------------------------------------------------

export interface ChatRow {
  id: string;
  session_title_encrypted: Buffer | null;
  session_title_key_version: number | null;
  context_summary_encrypted: Buffer | null;
  context_summary_key_version: number | null;
  llm_model: string;
  message_count: number;
  total_tokens_used: number;
  started_at: Date;
  last_message_at: Date;
  ended_at: Date | null;
  status: string;
}

const chatColumns = `id, session_title_encrypted, session_title_key_version, context_summary_encrypted,
  context_summary_key_version, llm_model, message_count, total_tokens_used, started_at, last_message_at,
  ended_at, status`;

export async function insertChat(tx: Tx, values: Record<string, unknown>): Promise<ChatRow> {
  const [row] = await tx<ChatRow[]>`
    insert into health.ai_chat_sessions ${tx(values)} returning ${tx.unsafe(chatColumns)}`;
  return row as ChatRow;
}

export async function chat(tx: Tx, id: string, options: { lock?: boolean } = {}) {
  const [row] = await tx<ChatRow[]>`
    select ${tx.unsafe(chatColumns)} from health.ai_chat_sessions where id = ${id}
    ${options.lock ? tx`for update` : tx``}`;
  return row;
}

export const chats = (tx: Tx, q: { after: Keyset | null; limit: number }) => tx<ChatRow[]>`
  select ${tx.unsafe(chatColumns)} from health.ai_chat_sessions
  ${q.after ? tx`where (started_at, id) < (${q.after.at}::timestamptz, ${q.after.id}::uuid)` : tx``}
  order by started_at desc, id desc
  limit ${q.limit + 1}`;

export async function updateChat(tx: Tx, id: string, values: Record<string, unknown>): Promise<ChatRow> {
  const [row] = await tx<ChatRow[]>`
    update health.ai_chat_sessions set ${tx(values)} where id = ${id} returning ${tx.unsafe(chatColumns)}`;
  return row as ChatRow;
}

export async function deleteChat(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from health.ai_chat_sessions where id = ${id} returning 1`).length > 0;
}
