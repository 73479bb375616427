import * as z from 'zod';
import { pageOf, pageQuery } from '../core/pagination';

/** Free text about a person's mind: stored only as ciphertext (functions/core/notes.ts). */
const note = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'no NUL characters')
    .nullable();

const date = z.iso.date().refine((d) => d >= '2000-01-01' && d <= '2200-01-01', 'between 2000 and 2200');
const timestamp = z.iso.datetime({ offset: true });
const id = z.uuid();

/** How far ahead of the server's clock a phone's clock may run. */
export const clockSkewMs = 5 * 60_000;

/** When an entry happened, with its UTC offset: not before 2000, not in the future beyond the clock skew. */
const loggedAt = timestamp
  .max(35, 'at most 35 characters')
  .refine((t) => Date.parse(t) >= Date.UTC(2000, 0, 1), 'not before 2000')
  .refine((t) => Date.parse(t) <= Date.now() + clockSkewMs, 'not in the future');

const score = (what: string) =>
  z.int(`${what} is a whole number`).min(1, `${what} from 1 to 10`).max(10, `${what} from 1 to 10`);

/** The entry's id, made by the client: sending it again (a retry, a re-sync) creates nothing new. */
const clientId = id.describe(
  'Made by the client (UUID): the same id sent again answers the entry made the first time; with other content, 409 entry_conflict',
);

export const idParams = z.strictObject({ id });
export const itemsOf = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) });

// ---- consent -------------------------------------------------------------------------------

export const consentType = z.enum([
  'mental_health_tracking',
  'mental_health_sharing',
  'terms_of_service',
  'marketing',
]);
export const consentParams = z.strictObject({ type: consentType });
export const consent = z.strictObject({
  consent_type: consentType,
  policy_version: z.string(),
  granted_at: timestamp,
  revoked_at: timestamp.nullable(),
  active: z.boolean(),
});
export const consents = z.strictObject({ items: z.array(consent) });
export const putConsentBody = z.strictObject({
  policy_version: z
    .string()
    .min(1)
    .max(20)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore'),
});
export const withdrawal = z.strictObject({
  consent,
  data_kept: z.boolean().describe('Whether mental-wellness entries of yours are still stored'),
  how_to_delete: z.string().nullable(),
});
export const deletion = z.strictObject({
  deleted: z.record(z.string(), z.int()).describe('Rows removed, by table'),
});

// ---- vocabulary ----------------------------------------------------------------------------

const term = z.strictObject({ code: z.string(), label: z.string() });
export const moodContext = z.enum([
  'work',
  'study',
  'home',
  'social',
  'exercise',
  'outdoors',
  'travel',
  'health',
  'other',
]);
export const practice = z.enum(['meditation', 'breathing', 'body_scan', 'yoga', 'mindful_walk', 'other']);
export const vocabulary = z.strictObject({
  stress_triggers: z.array(term),
  coping_strategies: z.array(term),
  llm_models: z.array(z.strictObject({ code: z.string(), display_name: z.string(), provider: z.string() })),
  mood_contexts: z.array(moodContext),
  mindfulness_practices: z.array(practice),
});

// ---- labels --------------------------------------------------------------------------------

export const moodLabel = z.enum(['very_poor', 'poor', 'neutral', 'good', 'excellent']);
export const stressLabel = z.enum(['minimal', 'low', 'moderate', 'high', 'severe']);
export const qualityLabel = z.enum(['very_poor', 'poor', 'fair', 'good', 'excellent']);

// ---- logs ----------------------------------------------------------------------------------

export const rangeQuery = pageQuery
  .extend({
    from: date.optional().describe('First local day (YYYY-MM-DD), inclusive'),
    to: date.optional().describe('Last local day (YYYY-MM-DD), inclusive'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from is after to',
    path: ['from'],
  });

const codes = (what: string) =>
  z
    .array(
      z
        .string()
        .max(40)
        .regex(/^[a-z][a-z_]*$/, 'a code of the vocabulary'),
    )
    .max(10, `at most 10 ${what}`)
    .transform((cs) => [...new Set(cs)]);

export const moodLog = z.strictObject({
  id,
  mood_score: z.int(),
  mood_label: moodLabel,
  energy_level: z.int().nullable(),
  context: moodContext.nullable(),
  notes: z.string().nullable(),
  logged_at: timestamp,
  local_date: date.describe('Your local day when logged, kept if you later change time zone'),
  created_at: timestamp,
});
export const postMoodLogBody = z.strictObject({
  id: clientId,
  mood_score: score('mood_score'),
  mood_label: moodLabel.optional().describe('Derived from mood_score when left out; must agree with it'),
  energy_level: score('energy_level').nullable().default(null),
  context: moodContext.nullable().default(null),
  notes: note(500).default(null),
  logged_at: loggedAt.optional().describe('When it happened, with its UTC offset; default now'),
});
export const patchMoodLogBody = z
  .strictObject({
    mood_score: score('mood_score').optional(),
    mood_label: moodLabel.optional(),
    energy_level: score('energy_level').nullable().optional(),
    context: moodContext.nullable().optional(),
    notes: note(500).optional(),
    logged_at: loggedAt.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

export const stressLog = z.strictObject({
  id,
  stress_level: z.int(),
  stress_label: stressLabel,
  triggers: z.array(z.string()),
  coping_strategies: z.array(z.string()),
  triggers_other: z.string().nullable(),
  coping_other: z.string().nullable(),
  notes: z.string().nullable(),
  logged_at: timestamp,
  local_date: date,
  created_at: timestamp,
});
export const postStressLogBody = z.strictObject({
  id: clientId,
  stress_level: score('stress_level'),
  stress_label: stressLabel
    .optional()
    .describe('Derived from stress_level when left out; must agree with it'),
  triggers: codes('triggers').default([]).describe('Codes of GET /reference/wellness-vocabulary'),
  coping_strategies: codes('coping strategies').default([]),
  triggers_other: note(200).default(null).describe('Triggers the vocabulary lacks, in your words'),
  coping_other: note(200).default(null),
  notes: note(500).default(null),
  logged_at: loggedAt.optional(),
});
export const patchStressLogBody = z
  .strictObject({
    stress_level: score('stress_level').optional(),
    stress_label: stressLabel.optional(),
    triggers: codes('triggers').optional(),
    coping_strategies: codes('coping strategies').optional(),
    triggers_other: note(200).optional(),
    coping_other: note(200).optional(),
    notes: note(500).optional(),
    logged_at: loggedAt.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

const clock = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'HH:MM, 00:00 to 23:59')
  .max(5, 'HH:MM, 00:00 to 23:59');
/** A day that has happened somewhere on Earth already (UTC+14 is the earliest today). */
const pastDate = date.refine(
  (d) => d <= new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10),
  'not in the future',
);

export const sleepLog = z.strictObject({
  id,
  sleep_date: date.describe('The day of waking'),
  bedtime: clock,
  wake_time: clock,
  duration_hours: z.number().describe('From bedtime to wake time, across midnight'),
  quality_score: z.int(),
  quality_label: qualityLabel,
  interruptions: z.int(),
  notes: z.string().nullable(),
  logged_at: timestamp,
  created_at: timestamp,
});
export const postSleepLogBody = z
  .strictObject({
    id: clientId,
    sleep_date: pastDate.describe('The day of waking: one night per date'),
    bedtime: clock.describe('Local time, e.g. 23:30'),
    wake_time: clock.describe('Local time; earlier than bedtime means the next morning'),
    quality_score: score('quality_score'),
    quality_label: qualityLabel.optional(),
    interruptions: z.int().min(0, 'from 0 to 20').max(20, 'from 0 to 20').default(0),
    notes: note(500).default(null),
  })
  .refine((b) => b.bedtime !== b.wake_time, { message: 'a night of zero length', path: ['wake_time'] });
export const patchSleepLogBody = z
  .strictObject({
    bedtime: clock.optional(),
    wake_time: clock.optional(),
    quality_score: score('quality_score').optional(),
    quality_label: qualityLabel.optional(),
    interruptions: z.int().min(0).max(20).optional(),
    notes: note(500).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .refine((b) => b.bedtime === undefined || b.bedtime !== b.wake_time, {
    message: 'a night of zero length',
    path: ['wake_time'],
  });

export const mindfulnessSession = z.strictObject({
  id,
  practice,
  duration_minutes: z.int(),
  notes: z.string().nullable(),
  logged_at: timestamp,
  local_date: date,
  created_at: timestamp,
});
export const postMindfulnessSessionBody = z.strictObject({
  id: clientId,
  practice,
  duration_minutes: z.int().min(1, 'from 1 to 600 minutes').max(600, 'from 1 to 600 minutes'),
  notes: note(500).default(null),
  logged_at: loggedAt.optional(),
});

export const moodLogs = pageOf(moodLog);
export const stressLogs = pageOf(stressLog);
export const sleepLogs = pageOf(sleepLog);
export const mindfulnessSessions = pageOf(mindfulnessSession);

// ---- goals ---------------------------------------------------------------------------------

export const goalType = z.enum([
  'mood_improvement',
  'stress_reduction',
  'sleep_quality',
  'sleep_duration',
  'mindfulness_practice',
]);
export const targetUnit = z.enum(['score', 'hours', 'minutes', 'days_per_week']);
export const frequency = z.enum(['daily', 'weekly', 'monthly']);
export const goalStatus = z.enum(['ACTIVE', 'PAUSED', 'COMPLETED', 'ABANDONED']);

export const mentalGoal = z.strictObject({
  id,
  goal_type: goalType,
  target_value: z.number(),
  target_unit: targetUnit,
  frequency,
  start_date: date,
  end_date: date.nullable(),
  status: goalStatus,
  notes: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});
const targetValue = z
  .number()
  .min(0.01, 'at least 0.01') // not gt(0): 5e-324 passes that and is 0.00 in the column
  .max(999.99, 'at most 999.99')
  .multipleOf(0.01, 'at most two decimals');
export const postMentalGoalBody = z
  .strictObject({
    goal_type: goalType,
    target_value: targetValue,
    target_unit: targetUnit,
    frequency,
    start_date: date.optional().describe('Default: today in your time zone'),
    end_date: date.nullable().default(null),
    notes: note(500).default(null),
  })
  .refine((b) => b.end_date === null || b.start_date === undefined || b.end_date >= b.start_date, {
    message: 'before start_date',
    path: ['end_date'],
  });
export const patchMentalGoalBody = z
  .strictObject({
    target_value: targetValue.optional(),
    end_date: date.nullable().optional(),
    status: goalStatus.optional(),
    notes: note(500).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

export const goalPeriod = z.strictObject({
  start: date,
  end: date,
  complete: z.boolean().describe('False for the period still running today'),
  value: z.number().nullable().describe('What the goal measures over the period; null without entries'),
  days_logged: z.int(),
  met: z.boolean(),
});
export const goalProgress = z.strictObject({
  goal_id: id,
  measure: z.string().describe('What value is, in words'),
  target_value: z.number(),
  target_unit: targetUnit,
  frequency,
  periods: z.array(goalPeriod),
  periods_counted: z.int().describe('Complete periods, plus the running one once met'),
  periods_met: z.int(),
  share_met: z.number().nullable(),
  current_streak: z.int(),
  longest_streak: z.int(),
});

// ---- AI chat sessions ----------------------------------------------------------------------

export const chatStatus = z.enum(['ACTIVE', 'COMPLETED', 'ABANDONED', 'ERROR']);
export const chatSession = z.strictObject({
  id,
  session_title: z.string().nullable(),
  context_summary: z.string().nullable(),
  llm_model: z.string(),
  message_count: z.int(),
  total_tokens_used: z.int(),
  started_at: timestamp,
  last_message_at: timestamp,
  ended_at: timestamp.nullable(),
  status: chatStatus,
});
export const chatSessions = pageOf(chatSession);
export const chatListQuery = pageQuery;
export const postChatSessionBody = z.strictObject({
  llm_model: z
    .string()
    .min(1)
    .max(50)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a code of the vocabulary')
    .describe('A code of GET /reference/wellness-vocabulary'),
  session_title: note(200).default(null),
  context_summary: note(20000).default(null),
});
const count = z.int().min(0).max(2_000_000_000);
export const chatUsageBody = z.strictObject({
  message_count: count.describe('The total so far; never lower than before'),
  total_tokens_used: count.describe('The total so far; never lower than before'),
  context_summary: note(20000).optional(),
});
export const endChatBody = z.strictObject({
  status: z.enum(['COMPLETED', 'ABANDONED', 'ERROR']),
});

// ---- insights ------------------------------------------------------------------------------

export const insightsQuery = z.strictObject({
  period: z.enum(['week', 'month']).default('week'),
  end: date.optional().describe('Last local day of the period; default today'),
});
const seriesName = z.enum(['mood', 'energy', 'stress', 'sleep_duration', 'sleep_quality']);
export const seriesSummary = z.strictObject({
  series: seriesName,
  days: z.int().describe('Days of the period with a value'),
  average: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  previous_average: z.number().nullable(),
  change: z.number().nullable().describe('average minus previous_average'),
  weekday_pattern: z.array(
    z.strictObject({ weekday: z.string(), average: z.number().nullable(), days: z.int() }),
  ),
  logging_streak: z.int().describe('Consecutive days up to the period end with an entry (backfilled too)'),
});
export const correlation = z.strictObject({
  outcome: seriesName,
  predictor: seriesName,
  lag_days: z.int().describe('0: the same day; 1: the predictor on the day before'),
  n: z.int().describe('Paired days'),
  rho: z.number().nullable(),
  p_value: z.number().nullable(),
  confidence: z.int().nullable().describe('1 (weak evidence) to 5 (strong)'),
  sentence: z.string(),
  days_needed: z.int().describe('More paired days needed before it is shown; 0 once shown'),
});
export const insights = z.strictObject({
  period: z.enum(['week', 'month']),
  start: date,
  end: date,
  previous_start: date,
  previous_end: date,
  series: z.array(seriesSummary),
  correlations_window: z.strictObject({ start: date, end: date }),
  correlations: z.array(correlation),
});

export type ConsentType = z.infer<typeof consentType>;
export type GoalType = z.infer<typeof goalType>;
export type TargetUnit = z.infer<typeof targetUnit>;
export type Frequency = z.infer<typeof frequency>;
export type GoalStatus = z.infer<typeof goalStatus>;
export type ChatStatus = z.infer<typeof chatStatus>;
