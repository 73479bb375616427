import type { Tx } from '../core/db';
import { open, type Keyring } from '../core/notes';
import { allergyBundle, type AllergyFacts } from './fhir';

/**
 * The document of a person's export: everything held about them, read as them (row-level security
 * confines every statement to their rows), with every note opened. Each section is one table;
 * a column `<x>_encrypted` with its `<x>_key_version` becomes `<x>` in clear. Secrets that are not
 * the person's data (password, token and refresh-token hashes, the card number's ciphertext) and
 * operational rows (idempotency keys, mail throttles) are left out.
 */

type Row = Record<string, unknown>;

interface Section {
  /** Where the rows come from: the note context of their ciphertexts. */
  readonly table: string;
  readonly select: string;
  /** Mental-wellness data: included only when there is some, and its read audited. */
  readonly wellness?: boolean;
  /** One row at most: the section is an object or null. */
  readonly single?: boolean;
}

// Each statement reads the caller's rows only (RLS), and names its columns: no secret can slip in.
const sections = {
  account: {
    table: 'public.users',
    single: true,
    select: `select id, username, email, is_email_verified, role, time_zone, is_active, last_login_at,
                    password_changed_at, created_at, updated_at
             from public.users where id = $1`,
  },
  sessions: {
    table: 'auth.user_sessions',
    select: `select id, device_name, user_agent, host(ip_address) as ip_address, created_at, last_used_at,
                    expires_at, revoked_at, revoked_reason
             from auth.user_sessions where user_id = $1 order by created_at, id`,
  },
  health_profile: {
    table: 'public.health_profiles',
    single: true,
    select: `select id, height_cm, weight_kg, date_of_birth, gender, activity_level, bmr_equation, created_at, updated_at
             from public.health_profiles where user_id = $1`,
  },
  allergies: {
    table: 'public.user_allergies',
    select: `select ua.id, ua.allergen_id, a.name as allergen_name, a.category as allergen_category, ua.severity,
                    ua.diagnosed_date, ua.notes_encrypted, ua.notes_key_version, ua.created_at, ua.updated_at
             from public.user_allergies ua join health.allergens a on a.id = ua.allergen_id
             where ua.user_id = $1 order by ua.created_at, ua.id`,
  },
  dietary_restrictions: {
    table: 'public.user_dietary_restrictions',
    select: `select d.id, d.restriction_id, r.name, d.created_at
             from public.user_dietary_restrictions d join health.dietary_restrictions_ref r on r.id = d.restriction_id
             where d.user_id = $1 order by d.created_at, d.id`,
  },
  medical_conditions: {
    table: 'public.user_medical_conditions',
    select: `select m.id, m.condition_id, c.name, c.display_name, m.diagnosed_date, m.notes_encrypted,
                    m.notes_key_version, m.created_at, m.updated_at
             from public.user_medical_conditions m join health.medical_conditions_ref c on c.id = m.condition_id
             where m.user_id = $1 order by m.created_at, m.id`,
  },
  fitness_goals: {
    table: 'public.user_fitness_goals',
    select: `select id, goal_type, target_weight_kg, target_calories, weekly_activity_minutes, target_date, status,
                    created_at, updated_at
             from public.user_fitness_goals where user_id = $1 order by created_at, id`,
  },
  preferences: {
    table: 'public.user_preferences',
    single: true,
    select: `select cuisines, price_range, max_distance_km, notify_email, notify_push, notify_meal_reminders,
                    notify_wellness_check_ins, created_at, updated_at
             from public.user_preferences where user_id = $1`,
  },
  payment_methods: {
    table: 'public.user_payment_methods',
    select: `select id, card_last4, card_holder, expires_month, expires_year, created_at
             from public.user_payment_methods where user_id = $1 order by created_at, id`,
  },
  consents: {
    table: 'public.user_consents',
    select: `select id, consent_type, policy_version, granted_at, revoked_at
             from public.user_consents where user_id = $1 order by granted_at, id`,
  },
  mood_logs: {
    table: 'health.mood_logs',
    wellness: true,
    select: `select id, mood_score, mood_label, energy_level, context, notes_encrypted, notes_key_version, logged_at,
                    local_date, created_at
             from health.mood_logs where user_id = $1 order by logged_at, id`,
  },
  stress_logs: {
    table: 'health.stress_logs',
    wellness: true,
    select: `select id, stress_level, stress_label, triggers, coping_strategies, notes_encrypted, notes_key_version,
                    triggers_other_encrypted, triggers_other_key_version, coping_other_encrypted,
                    coping_other_key_version, logged_at, local_date, created_at
             from health.stress_logs where user_id = $1 order by logged_at, id`,
  },
  sleep_logs: {
    table: 'health.sleep_logs',
    wellness: true,
    select: `select id, sleep_date, bedtime, wake_time, duration_hours, quality_score, quality_label, interruptions,
                    notes_encrypted, notes_key_version, logged_at, created_at
             from health.sleep_logs where user_id = $1 order by sleep_date, id`,
  },
  mindfulness_sessions: {
    table: 'health.mindfulness_sessions',
    wellness: true,
    select: `select id, practice, duration_minutes, notes_encrypted, notes_key_version, logged_at, local_date, created_at
             from health.mindfulness_sessions where user_id = $1 order by logged_at, id`,
  },
  mental_wellness_goals: {
    table: 'health.mental_wellness_goals',
    wellness: true,
    select: `select id, goal_type, target_value, target_unit, frequency, start_date, end_date, status,
                    notes_encrypted, notes_key_version, created_at, updated_at
             from health.mental_wellness_goals where user_id = $1 order by created_at, id`,
  },
  ai_chat_sessions: {
    table: 'health.ai_chat_sessions',
    wellness: true,
    select: `select id, session_title_encrypted, session_title_key_version, context_summary_encrypted,
                    context_summary_key_version, message_count, total_tokens_used, llm_model, started_at,
                    last_message_at, ended_at, status, created_at
             from health.ai_chat_sessions where user_id = $1 order by created_at, id`,
  },
  recommendations: {
    table: 'public.recommendations',
    select: `select id, meal_id, restaurant_id, meal_time, score, rank, reasons, warnings, reason, status,
                    algorithm_version, shown_at, responded_at, created_at
             from public.recommendations where user_id = $1 order by created_at, id`,
  },
  feedback: {
    table: 'public.feedback',
    select: `select id, recommendation_id, meal_id, rating, reaction, comment_encrypted, comment_key_version, created_at
             from public.feedback where user_id = $1 order by created_at, id`,
  },
  read_audits: {
    table: 'audit.data_reads',
    select: `select id, user_id as reader_id, tables, row_count, route, request_id, read_at
             from audit.data_reads where subject_user_id = $1 order by read_at, id`,
  },
  security_events: {
    table: 'audit.audit_logs',
    select: `select id, event, detail, host(ip) as ip, occurred_at
             from audit.audit_logs where user_id = $1 order by occurred_at, id`,
  },
} as const satisfies Record<string, Section>;

export type SectionName = keyof typeof sections;

/** The tables the document reads (each section's). */
export const exportedTables: readonly string[] = [...new Set(Object.values(sections).map((x) => x.table))];

/**
 * Person-linked tables the document leaves out, and why: secrets that protect the account rather
 * than describe the person, short-lived operational rows, and the list of exports itself.
 */
export const tablesLeftOut: Readonly<Record<string, string>> = {
  'auth.password_history': 'password hashes: secrets of the account',
  'auth.verification_tokens': 'hashes of single-use email tokens, gone within days',
  'auth.registration_attempt_emails':
    'when we last warned the address of a registration attempt (a throttle)',
  'public.idempotency_keys': 'retry keys and stored answers, kept 24 hours',
  'auth.mail_outbox':
    'emails on their way to the address (sealed links and codes), removed within days of sending',
  'public.data_exports': 'the exports themselves (GET /me/exports lists them)',
  'audit.data_changes':
    'copies of rows the audit trigger made when they changed; the rows themselves are exported',
};

const hex = (v: unknown): Buffer => Buffer.from(String(v).replace(/^\\x/, ''), 'hex');

/**
 * Opens every `<x>_encrypted` column of a row in place (as `<x>`); a note that no key in the
 * keyring opens becomes null and is counted, so one bad ciphertext never withholds the rest.
 */
function openNotes(
  ring: Keyring,
  table: string,
  userId: string,
  row: Row,
  unreadable: { count: number },
): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    const base = /^(.*)_encrypted$/.exec(name)?.[1];
    if (base === undefined) {
      const sealedBeside = name.endsWith('_key_version') && `${name.slice(0, -12)}_encrypted` in row;
      if (!sealedBeside) out[name] = value;
      continue;
    }
    const version = row[`${base}_key_version`];
    if (value === null || version === null) {
      out[base] = null;
      continue;
    }
    try {
      out[base] = open(
        ring,
        { ciphertext: hex(value), keyVersion: Number(version) },
        { table, column: name, userId },
      );
    } catch {
      out[base] = null;
      unreadable.count += 1;
    }
  }
  return out;
}

export interface ExportDocument {
  readonly document: Record<string, unknown>;
  /** Mental-wellness tables read and their row count, for the read audit. */
  readonly wellness: { readonly tables: string[]; readonly rows: number };
}

/** Everything held about `userId`, read in `tx` as them. */
export async function collect(
  tx: Tx,
  ring: Keyring,
  who: { userId: string; exportId: string },
): Promise<ExportDocument> {
  const unreadable = { count: 0 };
  const read: Partial<Record<SectionName, Row[]>> = {};
  for (const [name, section] of Object.entries(sections) as [SectionName, Section][]) {
    const rows = await tx.unsafe<{ row: Row }[]>(`select to_jsonb(r) as row from (${section.select}) r`, [
      who.userId,
    ]);
    read[name] = rows.map((r) => openNotes(ring, section.table, who.userId, r.row, unreadable));
  }
  const wellnessNames = (Object.keys(sections) as SectionName[]).filter(
    (n) => (sections[n] as Section).wellness,
  );
  const wellnessRead = wellnessNames.filter((n) => (read[n]?.length ?? 0) > 0);
  const rows = (n: SectionName) => read[n] ?? [];
  const one = (n: SectionName) => rows(n)[0] ?? null;
  const document: Record<string, unknown> = {
    format: 'eatsential-export/1',
    export_id: who.exportId,
    generated_at: new Date().toISOString(),
    person_id: who.userId,
    account: one('account'),
    sessions: rows('sessions'),
    health_profile: one('health_profile'),
    allergies: rows('allergies'),
    dietary_restrictions: rows('dietary_restrictions'),
    medical_conditions: rows('medical_conditions'),
    fitness_goals: rows('fitness_goals'),
    preferences: one('preferences'),
    payment_methods: rows('payment_methods'),
    consents: rows('consents'),
    ...(wellnessRead.length > 0
      ? { mental_wellness: Object.fromEntries(wellnessNames.map((n) => [n, rows(n)])) }
      : {}),
    recommendations: rows('recommendations'),
    feedback: rows('feedback'),
    read_audits: rows('read_audits'),
    security_events: rows('security_events'),
    unreadable_notes: unreadable.count,
    fhir: allergyBundle(who.userId, rows('allergies') as unknown as AllergyFacts[]),
  };
  return {
    document,
    wellness: {
      tables: wellnessRead.map((n) => (sections[n] as Section).table),
      rows: wellnessRead.reduce((sum, n) => sum + rows(n).length, 0),
    },
  };
}
