import type { Tx } from '../core/db';
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from '../core/errors';
import { openNote, sealNote, type NoteContext } from '../core/notes';
import { Reply } from '../core/operation';
import { decodeCursor, page } from '../core/pagination';
import * as q from './queries';

/**
 * Mood, stress, sleep and mindfulness entries: one way to create, list, read, change and delete
 * them. An entry's id is made by the client, so a phone that logged offline can send it again
 * (a retry, a re-sync) without making a second entry; the same id with other content is a 409.
 */

/** The label of a score is its band: 1-2, 3-4, 5-6, 7-8, 9-10 (sql/README.md §6). */
export function labelOf(score: number, bands: readonly string[]): string {
  return bands[Math.min(bands.length, Math.max(1, Math.ceil(score / 2))) - 1] as string;
}

export interface LogKind {
  readonly table: q.LogTable;
  /** In codes and messages: `mood_log` → `mood_log_not_found`. */
  readonly name: string;
  /** The fields of the API's view, in order. */
  readonly fields: readonly string[];
  /** Fields stored only as ciphertext, in `<field>_encrypted` + `<field>_key_version`. */
  readonly notes: readonly string[];
  readonly label?: { readonly score: string; readonly label: string; readonly bands: readonly string[] };
  /** Code fields checked against a vocabulary table. */
  readonly codes?: Readonly<Record<string, 'health.stress_triggers_ref' | 'health.coping_strategies_ref'>>;
}

export const moodKind: LogKind = {
  table: 'health.mood_logs',
  name: 'mood_log',
  fields: [
    'id',
    'mood_score',
    'mood_label',
    'energy_level',
    'context',
    'notes',
    'logged_at',
    'local_date',
    'created_at',
  ],
  notes: ['notes'],
  label: {
    score: 'mood_score',
    label: 'mood_label',
    bands: ['very_poor', 'poor', 'neutral', 'good', 'excellent'],
  },
};

export const stressKind: LogKind = {
  table: 'health.stress_logs',
  name: 'stress_log',
  fields: [
    'id',
    'stress_level',
    'stress_label',
    'triggers',
    'coping_strategies',
    'triggers_other',
    'coping_other',
    'notes',
    'logged_at',
    'local_date',
    'created_at',
  ],
  notes: ['notes', 'triggers_other', 'coping_other'],
  label: {
    score: 'stress_level',
    label: 'stress_label',
    bands: ['minimal', 'low', 'moderate', 'high', 'severe'],
  },
  codes: { triggers: 'health.stress_triggers_ref', coping_strategies: 'health.coping_strategies_ref' },
};

export const sleepKind: LogKind = {
  table: 'health.sleep_logs',
  name: 'sleep_log',
  fields: [
    'id',
    'sleep_date',
    'bedtime',
    'wake_time',
    'duration_hours',
    'quality_score',
    'quality_label',
    'interruptions',
    'notes',
    'logged_at',
    'created_at',
  ],
  notes: ['notes'],
  label: {
    score: 'quality_score',
    label: 'quality_label',
    bands: ['very_poor', 'poor', 'fair', 'good', 'excellent'],
  },
};

export const mindfulnessKind: LogKind = {
  table: 'health.mindfulness_sessions',
  name: 'mindfulness_session',
  fields: ['id', 'practice', 'duration_minutes', 'notes', 'logged_at', 'local_date', 'created_at'],
  notes: ['notes'],
};

type Fields = Record<string, unknown>;

const noteContext = (kind: LogKind, field: string, userId: string): NoteContext => ({
  table: kind.table,
  column: `${field}_encrypted`,
  userId,
});

/** The entry as its owner sees it: notes opened, instants as ISO 8601. */
export async function view(kind: LogKind, row: q.Row, userId: string): Promise<Fields> {
  const out: Fields = {};
  for (const f of kind.fields) {
    if (kind.notes.includes(f)) {
      out[f] = await openNote(
        {
          encrypted: row[`${f}_encrypted`] as Buffer | null,
          keyVersion: row[`${f}_key_version`] as number | null,
        },
        noteContext(kind, f, userId),
      );
    } else {
      const v = row[f];
      out[f] = v instanceof Date ? v.toISOString() : v;
    }
  }
  return out;
}

/** Columns to store: notes sealed, everything else as sent. */
async function columns(kind: LogKind, fields: Fields, userId: string): Promise<Fields> {
  const out: Fields = {};
  for (const [f, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (kind.notes.includes(f)) {
      const sealed = await sealNote(v as string | null, noteContext(kind, f, userId));
      out[`${f}_encrypted`] = sealed.encrypted;
      out[`${f}_key_version`] = sealed.keyVersion;
    } else {
      out[f] = v;
    }
  }
  return out;
}

/** The label the score implies when none is sent; a label that contradicts the score is refused. */
function settleLabel(kind: LogKind, fields: Fields, score: number): void {
  if (!kind.label) return;
  const { label, bands } = kind.label;
  const implied = labelOf(score, bands);
  if (fields[label] === undefined) {
    fields[label] = implied;
  } else if (fields[label] !== implied) {
    throw new UnprocessableError(
      `A ${kind.label.score} of ${score} is ${implied}, not ${String(fields[label])}; leave ${label} out to derive it`,
      {
        code: 'label_contradicts_score',
        errors: [{ path: `body.${label}`, message: `${implied} for a ${kind.label.score} of ${score}` }],
      },
    );
  }
}

async function checkCodes(tx: Tx, kind: LogKind, fields: Fields): Promise<void> {
  for (const [field, table] of Object.entries(kind.codes ?? {})) {
    const list = fields[field] as string[] | undefined;
    if (!list) continue;
    const unknown = await q.unknownCodes(tx, table, list);
    if (unknown.length > 0) {
      throw new UnprocessableError(
        `Unknown ${field.replace('_', ' ')} code: ${unknown.join(', ')} (see GET /reference/wellness-vocabulary)`,
        {
          code: 'unknown_code',
          errors: unknown.map((c) => ({
            path: `body.${field}.${list.indexOf(c)}`,
            message: 'not in the vocabulary',
          })),
        },
      );
    }
  }
}

const notFound = (kind: LogKind) =>
  new NotFoundError(`No such ${kind.name.replace(/_/g, ' ')} of yours`, { code: `${kind.name}_not_found` });

/** Whether a stored entry is what the body asks for: a retry, not a different entry under the same id. */
function sameEntry(body: Fields, stored: Fields): boolean {
  return Object.entries(body).every(([k, v]) => {
    if (v === undefined) return true;
    if (k === 'logged_at') return Date.parse(v as string) === Date.parse(stored[k] as string);
    return JSON.stringify(v) === JSON.stringify(stored[k]);
  });
}

export async function createLog(tx: Tx, kind: LogKind, userId: string, body: Fields): Promise<Reply> {
  const fields = { ...body };
  if (kind.label) settleLabel(kind, fields, fields[kind.label.score] as number);
  await checkCodes(tx, kind, fields);
  const made = await q.insertLog(tx, kind.table, {
    ...(await columns(kind, fields, userId)),
    id: fields.id as string,
    user_id: userId,
  });
  if (made) return new Reply(201, await view(kind, made, userId));

  const existing = await q.log(tx, kind.table, fields.id as string);
  if (existing) {
    const stored = await view(kind, existing, userId);
    if (sameEntry(fields, stored)) return new Reply(201, stored, { 'idempotent-replayed': 'true' });
    throw new ConflictError(
      'An entry with this id exists with other content: send a new id for a new entry',
      {
        code: 'entry_conflict',
        errors: [{ path: 'body.id', message: 'taken by an entry with other content' }],
      },
    );
  }
  if (kind === sleepKind) {
    const night = await q.sleepLogOn(tx, fields.sleep_date as string);
    if (night)
      throw new ConflictError(
        `You logged the night ending ${String(fields.sleep_date)} already (${night.id}); change that entry instead`,
        {
          code: 'sleep_night_exists',
          errors: [{ path: 'body.sleep_date', message: 'one night per sleep date' }],
        },
      );
  }
  throw new ConflictError('This id is taken: send a new id for a new entry', {
    code: 'entry_conflict',
    errors: [{ path: 'body.id', message: 'taken' }],
  });
}

export async function listLogs(
  tx: Tx,
  kind: LogKind,
  userId: string,
  query: { from?: string; to?: string; limit: number; cursor?: string },
) {
  const rows = await q.logs(tx, kind.table, {
    from: query.from,
    to: query.to,
    after: decodeCursor(query.cursor),
    limit: query.limit,
  });
  const p = page(
    rows,
    query.limit,
    (r) => ({ at: (r.sort_at as Date).toISOString(), id: r.id }),
    (r) => r,
  );
  return { items: await Promise.all(p.items.map((r) => view(kind, r, userId))), next_cursor: p.next_cursor };
}

export async function readLog(tx: Tx, kind: LogKind, userId: string, id: string) {
  const row = await q.log(tx, kind.table, id);
  if (!row) throw notFound(kind);
  return view(kind, row, userId);
}

export async function changeLog(tx: Tx, kind: LogKind, userId: string, id: string, patch: Fields) {
  const existing = await q.log(tx, kind.table, id, { lock: true });
  if (!existing) throw notFound(kind);
  const fields = { ...patch };
  if (kind.label) {
    const { score, label } = kind.label;
    const newScore = (fields[score] ?? existing[score]) as number;
    if (fields[score] !== undefined || fields[label] !== undefined) settleLabel(kind, fields, newScore);
  }
  if (kind === sleepKind) {
    const bedtime = fields.bedtime ?? existing.bedtime;
    const wake = fields.wake_time ?? existing.wake_time;
    if (bedtime === wake)
      throw new BadRequestError('The request body is not valid', {
        code: 'validation_failed',
        errors: [{ path: 'body.wake_time', message: 'a night of zero length' }],
      });
  }
  await checkCodes(tx, kind, fields);
  const row = await q.updateLog(tx, kind.table, id, await columns(kind, fields, userId));
  if (!row) throw notFound(kind);
  return view(kind, row, userId);
}

export async function removeLog(tx: Tx, kind: LogKind, id: string): Promise<void> {
  if (!(await q.deleteLog(tx, kind.table, id))) throw notFound(kind);
}
