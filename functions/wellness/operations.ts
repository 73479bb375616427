import type { Row } from 'postgres';
import type { Tx } from '../core/db';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from '../core/errors';
import { openNote, sealNote, type NoteContext } from '../core/notes';
import type { OperationInput, Operations } from '../core/operation';
import { decodeCursor, page } from '../core/pagination';
import { routeKey } from '../core/route';
import type { AppRoute } from '../routes';
import { addDays, localToday } from './days';
import { checkGoal, progressOf } from './goals';
import * as logs from './logs';
import * as q from './queries';
import { wellnessRoutes } from './routes';
import * as s from './schemas';

/**
 * A read of mental-wellness data: the answer, and what the read audit records of it (which
 * tables, how many rows). Every GET of a person's wellness data returns one, and the gate below
 * writes exactly one audit row for it.
 */
class Read {
  constructor(
    readonly body: unknown,
    readonly tables: readonly string[],
    readonly rows: number,
  ) {}
}
const read = (body: unknown, tables: readonly string[], rows: number) => new Read(body, tables, rows);

const consentRequired = () =>
  new ForbiddenError(
    `This needs your ${q.trackingConsent} consent: give it with PUT /me/consents/${q.trackingConsent}`,
    { code: 'consent_required', errors: [{ path: 'consent', message: q.trackingConsent }] },
  );

const noteContext = (table: string, column: string, userId: string): NoteContext => ({
  table,
  column,
  userId,
});
const open = (encrypted: Buffer | null, keyVersion: number | null, ctx: NoteContext) =>
  openNote({ encrypted, keyVersion }, ctx);
const seal = async (text: string | null, ctx: NoteContext, column: string) => {
  const n = await sealNote(text, ctx);
  return { [`${column}_encrypted`]: n.encrypted, [`${column}_key_version`]: n.keyVersion };
};

const consentView = (r: q.ConsentRow) => ({
  consent_type: r.consent_type as s.ConsentType,
  policy_version: r.policy_version,
  granted_at: r.granted_at.toISOString(),
  revoked_at: r.revoked_at?.toISOString() ?? null,
  active: r.revoked_at === null,
});

// ---- goals and chat sessions ---------------------------------------------------------------

const goalNotFound = () =>
  new NotFoundError('No such mental goal of yours', { code: 'mental_goal_not_found' });
const chatNotFound = () =>
  new NotFoundError('No such chat session of yours', { code: 'chat_session_not_found' });

const goalNotes = (userId: string) => noteContext('health.mental_wellness_goals', 'notes_encrypted', userId);

async function goalView(r: q.GoalRow, userId: string) {
  return {
    id: r.id,
    goal_type: r.goal_type as s.GoalType,
    target_value: r.target_value,
    target_unit: r.target_unit as s.TargetUnit,
    frequency: r.frequency as s.Frequency,
    start_date: r.start_date,
    end_date: r.end_date,
    status: r.status as s.GoalStatus,
    notes: await open(r.notes_encrypted, r.notes_key_version, goalNotes(userId)),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

const chatContext = (column: string, userId: string) =>
  noteContext('health.ai_chat_sessions', column, userId);

async function chatView(r: q.ChatRow, userId: string) {
  return {
    id: r.id,
    session_title: await open(
      r.session_title_encrypted,
      r.session_title_key_version,
      chatContext('session_title_encrypted', userId),
    ),
    context_summary: await open(
      r.context_summary_encrypted,
      r.context_summary_key_version,
      chatContext('context_summary_encrypted', userId),
    ),
    llm_model: r.llm_model,
    message_count: r.message_count,
    total_tokens_used: r.total_tokens_used,
    started_at: r.started_at.toISOString(),
    last_message_at: r.last_message_at.toISOString(),
    ended_at: r.ended_at?.toISOString() ?? null,
    status: r.status as s.ChatStatus,
  };
}

const ended = (r: q.ChatRow) =>
  new ConflictError(`This chat session ended (${r.status}); start a new one`, { code: 'chat_session_ended' });

/**
 * The caller's time zone ("today" for them): sent with BEGIN beside the consent check on gated
 * routes (`context`), else read now.
 */
async function zoneOf(tx: Tx, userId: string, context: readonly Row[] | undefined): Promise<string> {
  const zone = context?.[0]?.time_zone;
  return typeof zone === 'string' ? zone : q.timeZone(tx, userId);
}

/** Days of [from, to] with their values, and how many entries went into them (for the read audit). */
async function daysOf(tx: Tx, from: string, to: string) {
  const days = await q.dailyValues(tx, from, to);
  return { days, entries: days.reduce((n, d) => n + d.entries, 0) };
}
const logTables = [
  'health.mood_logs',
  'health.stress_logs',
  'health.sleep_logs',
  'health.mindfulness_sessions',
];

const ops: Operations<'wellness'> = {
  // ---- consent (no consent needed) -----------------------------------------------------------
  async listMyConsents({ tx }) {
    return { items: (await q.consents(tx)).map(consentView) };
  },
  async grantConsent({ tx, caller, params, body }) {
    const current = await q.activeConsent(tx, params.type);
    if (current?.policy_version === body.policy_version) return consentView(current);
    if (current) await q.revokeConsent(tx, current.id);
    const made = await q.insertConsent(tx, caller.userId, params.type, body.policy_version);
    // Another request granted it meanwhile: answer with what it made.
    const row = made ?? (await q.activeConsent(tx, params.type));
    if (!row) throw new Error('a consent granted meanwhile is not visible');
    return consentView(row);
  },
  async withdrawConsent({ tx, params }) {
    const current = await q.activeConsent(tx, params.type);
    if (!current)
      throw new NotFoundError(`You have no active ${params.type} consent`, { code: 'consent_not_found' });
    const row = await q.revokeConsent(tx, current.id);
    const tracking = params.type === q.trackingConsent;
    const kept = tracking && (await q.holdsWellnessData(tx));
    return {
      consent: consentView(row),
      data_kept: kept,
      how_to_delete: tracking
        ? 'Nothing more is recorded, read or used for insights or recommendations. Your entries are kept until you delete them: DELETE /me/mental-health-data removes every mood, stress, sleep and mindfulness entry, goal and chat session of yours at once.'
        : null,
    };
  },
  async deleteMentalHealthData({ tx }) {
    return { deleted: await q.deleteWellnessData(tx) };
  },

  // ---- vocabulary ------------------------------------------------------------------------------
  async getWellnessVocabulary({ tx }) {
    const [stress_triggers, coping_strategies, llm_models] = await Promise.all([
      q.stressTriggers(tx),
      q.copingStrategies(tx),
      q.llmModels(tx),
    ]);
    return {
      stress_triggers,
      coping_strategies,
      llm_models,
      mood_contexts: s.moodContext.options,
      mindfulness_practices: s.practice.options,
    };
  },

  // ---- logs ------------------------------------------------------------------------------------
  createMoodLog: ({ tx, caller, body }) => logs.createLog(tx, logs.moodKind, caller.userId, body),
  async listMoodLogs({ tx, caller, query }) {
    const r = await logs.listLogs(tx, logs.moodKind, caller.userId, query);
    return read(r, [logs.moodKind.table], r.items.length);
  },
  async getMoodLog({ tx, caller, params }) {
    return read(await logs.readLog(tx, logs.moodKind, caller.userId, params.id), [logs.moodKind.table], 1);
  },
  updateMoodLog: ({ tx, caller, params, body }) =>
    logs.changeLog(tx, logs.moodKind, caller.userId, params.id, body),
  deleteMoodLog: ({ tx, params }) => logs.removeLog(tx, logs.moodKind, params.id),

  createStressLog: ({ tx, caller, body }) => logs.createLog(tx, logs.stressKind, caller.userId, body),
  async listStressLogs({ tx, caller, query }) {
    const r = await logs.listLogs(tx, logs.stressKind, caller.userId, query);
    return read(r, [logs.stressKind.table], r.items.length);
  },
  async getStressLog({ tx, caller, params }) {
    return read(
      await logs.readLog(tx, logs.stressKind, caller.userId, params.id),
      [logs.stressKind.table],
      1,
    );
  },
  updateStressLog: ({ tx, caller, params, body }) =>
    logs.changeLog(tx, logs.stressKind, caller.userId, params.id, body),
  deleteStressLog: ({ tx, params }) => logs.removeLog(tx, logs.stressKind, params.id),

  createSleepLog: ({ tx, caller, body }) => logs.createLog(tx, logs.sleepKind, caller.userId, body),
  async listSleepLogs({ tx, caller, query }) {
    const r = await logs.listLogs(tx, logs.sleepKind, caller.userId, query);
    return read(r, [logs.sleepKind.table], r.items.length);
  },
  async getSleepLog({ tx, caller, params }) {
    return read(await logs.readLog(tx, logs.sleepKind, caller.userId, params.id), [logs.sleepKind.table], 1);
  },
  updateSleepLog: ({ tx, caller, params, body }) =>
    logs.changeLog(tx, logs.sleepKind, caller.userId, params.id, body),
  deleteSleepLog: ({ tx, params }) => logs.removeLog(tx, logs.sleepKind, params.id),

  createMindfulnessSession: ({ tx, caller, body }) =>
    logs.createLog(tx, logs.mindfulnessKind, caller.userId, body),
  async listMindfulnessSessions({ tx, caller, query }) {
    const r = await logs.listLogs(tx, logs.mindfulnessKind, caller.userId, query);
    return read(r, [logs.mindfulnessKind.table], r.items.length);
  },
  async getMindfulnessSession({ tx, caller, params }) {
    return read(
      await logs.readLog(tx, logs.mindfulnessKind, caller.userId, params.id),
      [logs.mindfulnessKind.table],
      1,
    );
  },
  deleteMindfulnessSession: ({ tx, params }) => logs.removeLog(tx, logs.mindfulnessKind, params.id),

  // ---- goals -----------------------------------------------------------------------------------
  async createMentalGoal({ tx, caller, body, context }) {
    checkGoal(body);
    const start = body.start_date ?? localToday(await zoneOf(tx, caller.userId, context));
    if (body.end_date !== null && body.end_date < start)
      throw new UnprocessableError('The end date is before the start date', {
        code: 'goal_dates_invalid',
        errors: [{ path: 'body.end_date', message: 'before start_date' }],
      });
    const row = await q.insertGoal(tx, {
      user_id: caller.userId,
      goal_type: body.goal_type,
      target_value: body.target_value,
      target_unit: body.target_unit,
      frequency: body.frequency,
      start_date: start,
      end_date: body.end_date,
      ...(await seal(body.notes, goalNotes(caller.userId), 'notes')),
    });
    return goalView(row, caller.userId);
  },
  async listMentalGoals({ tx, caller }) {
    const rows = await q.goals(tx);
    const items = await Promise.all(rows.map((r) => goalView(r, caller.userId)));
    return read({ items }, ['health.mental_wellness_goals'], rows.length);
  },
  async getMentalGoal({ tx, caller, params }) {
    const [row] = await q.goals(tx, params.id);
    if (!row) throw goalNotFound();
    return read(await goalView(row, caller.userId), ['health.mental_wellness_goals'], 1);
  },
  async updateMentalGoal({ tx, caller, params, body }) {
    const [row] = await q.goals(tx, params.id);
    if (!row) throw goalNotFound();
    if (body.target_value !== undefined) checkGoal({ ...row, target_value: body.target_value });
    const end = body.end_date === undefined ? row.end_date : body.end_date;
    if (end !== null && end < row.start_date)
      throw new UnprocessableError('The end date is before the start date', {
        code: 'goal_dates_invalid',
        errors: [{ path: 'body.end_date', message: `before start_date ${row.start_date}` }],
      });
    const changed = await q.updateGoal(tx, params.id, {
      ...(body.target_value === undefined ? {} : { target_value: body.target_value }),
      ...(body.end_date === undefined ? {} : { end_date: body.end_date }),
      ...(body.status === undefined ? {} : { status: body.status }),
      ...(body.notes === undefined ? {} : await seal(body.notes, goalNotes(caller.userId), 'notes')),
    });
    if (!changed) throw goalNotFound();
    return goalView(changed, caller.userId);
  },
  async deleteMentalGoal({ tx, params }) {
    if (!(await q.deleteGoal(tx, params.id))) throw goalNotFound();
  },
  async getMentalGoalProgress({ tx, caller, params, context }) {
    const [goal] = await q.goals(tx, params.id);
    if (!goal) throw goalNotFound();
    const today = localToday(await zoneOf(tx, caller.userId, context));
    const last = goal.end_date !== null && goal.end_date < today ? goal.end_date : today;
    const { days, entries } = await daysOf(tx, goal.start_date, last);
    return read(progressOf(goal, days, today), ['health.mental_wellness_goals', ...logTables], 1 + entries);
  },

  // ---- AI chat sessions ------------------------------------------------------------------------
  async startChatSession({ tx, caller, body }) {
    if (!(await q.isActiveModel(tx, body.llm_model)))
      throw new UnprocessableError('No such model (see GET /reference/wellness-vocabulary)', {
        code: 'unknown_llm_model',
        errors: [{ path: 'body.llm_model', message: 'not an active model' }],
      });
    const userId = caller.userId;
    const row = await q.insertChat(tx, {
      user_id: userId,
      llm_model: body.llm_model,
      ...(await seal(body.session_title, chatContext('session_title_encrypted', userId), 'session_title')),
      ...(await seal(
        body.context_summary,
        chatContext('context_summary_encrypted', userId),
        'context_summary',
      )),
    });
    return chatView(row, userId);
  },
  async listChatSessions({ tx, caller, query }) {
    const rows = await q.chats(tx, { after: decodeCursor(query.cursor), limit: query.limit });
    const p = page(
      rows,
      query.limit,
      (r) => ({ at: r.started_at.toISOString(), id: r.id }),
      (r) => r,
    );
    const items = await Promise.all(p.items.map((r) => chatView(r, caller.userId)));
    return read({ items, next_cursor: p.next_cursor }, ['health.ai_chat_sessions'], items.length);
  },
  async getChatSession({ tx, caller, params }) {
    const row = await q.chat(tx, params.id);
    if (!row) throw chatNotFound();
    return read(await chatView(row, caller.userId), ['health.ai_chat_sessions'], 1);
  },
  async recordChatUsage({ tx, caller, params, body }) {
    const row = await q.chat(tx, params.id, { lock: true });
    if (!row) throw chatNotFound();
    if (row.status !== 'ACTIVE') throw ended(row);
    const lower = (['message_count', 'total_tokens_used'] as const).filter((k) => body[k] < row[k]);
    if (lower.length > 0)
      throw new ConflictError('Usage totals only grow: send the totals so far, not what was added', {
        code: 'usage_decreased',
        errors: lower.map((k) => ({ path: `body.${k}`, message: `below the recorded ${row[k]}` })),
      });
    const userId = caller.userId;
    const grew = body.message_count > row.message_count;
    const changed = await q.updateChat(tx, params.id, {
      message_count: body.message_count,
      total_tokens_used: body.total_tokens_used,
      ...(grew ? { last_message_at: new Date() } : {}),
      ...(body.context_summary === undefined
        ? {}
        : await seal(
            body.context_summary,
            chatContext('context_summary_encrypted', userId),
            'context_summary',
          )),
    });
    return chatView(changed, userId);
  },
  async endChatSession({ tx, caller, params, body }) {
    const row = await q.chat(tx, params.id, { lock: true });
    if (!row) throw chatNotFound();
    if (row.status === body.status) return chatView(row, caller.userId);
    if (row.status !== 'ACTIVE') throw ended(row);
    const changed = await q.updateChat(tx, params.id, { status: body.status, ended_at: new Date() });
    return chatView(changed, caller.userId);
  },

  async deleteChatSession({ tx, params }) {
    if (!(await q.deleteChat(tx, params.id))) throw chatNotFound();
  },

  // ---- insights --------------------------------------------------------------------------------
  async getInsights({ tx, caller, query, context }) {
    // Loaded by the first insights request, not at start-up: only this route needs the statistics.
    const insights = await import('./insights');
    const end = query.end ?? localToday(await zoneOf(tx, caller.userId, context));
    const back = Math.max(
      insights.streakDays,
      insights.correlationDays,
      2 * insights.periodDays[query.period],
    );
    const { days, entries } = await daysOf(tx, addDays(end, -back), end);
    return read(insights.insightsOf(days, query.period, end), logTables, entries);
  },
};

type AnyOperation = (input: OperationInput<AppRoute>) => Promise<unknown>;

/**
 * The statement a wellness request sends with BEGIN and the session check (handlerFor's
 * `context`): the consent a gated route needs, so it costs no round trip of its own.
 */
export const context = (caller: { userId: string }, route: object): string | undefined =>
  consentGated(route) ? q.consentCheck(caller.userId, q.trackingConsent) : undefined;

/** A route that declares `consent_required` needs an active mental_health_tracking consent. */
export function consentGated(route: object): boolean {
  const problems = ('problems' in route ? route.problems : {}) as { 403?: readonly string[] };
  return problems[403]?.includes('consent_required') ?? false;
}

/**
 * The consent gate and the read audit, from the route table: a gated route answers 403 without an
 * active mental_health_tracking consent before any other statement runs; a GET of a person's data
 * (under /me/) writes one audit.data_reads row.
 */
function guarded(): Operations<'wellness'> {
  const out: Record<string, AnyOperation> = {};
  for (const route of wellnessRoutes) {
    const op = (ops as unknown as Record<string, AnyOperation>)[route.operationId] as AnyOperation;
    const gated = consentGated(route);
    const audited = gated && route.method === 'GET' && route.path.startsWith('/me/');
    const key = routeKey(route);
    out[route.operationId] = async (input) => {
      const { tx, caller, request, context, atCommit } = input as OperationInput<AppRoute> & {
        tx: Tx;
        caller: { userId: string };
      };
      // The handler sends the consent check with BEGIN (handler.ts); called otherwise, ask now.
      const consented = !gated
        ? true
        : context
          ? context[0]?.active === true
          : await q.hasActiveConsent(tx, caller.userId, q.trackingConsent);
      if (!consented) throw consentRequired();
      const result = await op(input);
      if (!audited) return result;
      if (!(result instanceof Read)) throw new Error(`${key} read wellness data without saying what it read`);
      const record = {
        userId: caller.userId,
        tables: result.tables,
        rows: result.rows,
        route: key,
        requestId: request.id,
      };
      // With COMMIT, in its message: the read and its audit row commit together or not at all.
      if (atCommit) atCommit(q.readAudit(record));
      else await q.recordRead(tx, record);
      return result.body;
    };
  }
  return out as unknown as Operations<'wellness'>;
}

export const operations = guarded();
