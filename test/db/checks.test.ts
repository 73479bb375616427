import { randomBytes, randomUUID } from 'node:crypto';
import { useTestDatabase } from '../support';
import { allergenId, createMeal, createUser, rolledBack } from './fixtures';

interface Context {
  userId: string;
  profileId: string;
  bareUserId: string;
  allergenId: string;
  restaurantId: string;
  mealId: string;
  tagId: string;
  thirteenYearsAgo: string;
  dayAfterThirteenYearsAgo: string;
}

type Row = Record<string, unknown>;

interface Case {
  readonly table: string;
  readonly constraint: string;
  readonly base: (c: Context) => Row;
  readonly refuses: string;
  readonly violating: Row | ((c: Context) => Row);
  readonly accepts: string;
  readonly boundary: Row | ((c: Context) => Row);
  /** varchar(n) refuses before a CHECK on the same length can: 22001. */
  readonly code?: string;
}

const user = () => ({ username: 'check_user', email: 'check@example.com', password_hash: 'scrypt$test' });
const profile = (c: Context) => ({ user_id: c.bareUserId });
const allergy = (c: Context) => ({
  user_id: c.userId,
  health_profile_id: c.profileId,
  allergen_id: c.allergenId,
  severity: 'MILD',
});
const allergen = () => ({ name: 'Test allergen', category: 'Food' });
const token = (c: Context) => ({
  user_id: c.userId,
  token_hash: randomBytes(32),
  token_type: 'email_verify',
  expires_at: new Date(Date.now() + 3_600_000),
});
const restaurant = () => ({
  name: 'Check Diner',
  address: '2 Side St',
  city: 'Austin',
  state: 'TX',
  zip_code: '73301',
});
const meal = (c: Context) => ({ restaurant_id: c.restaurantId, name: 'Check meal', price: 1 });
const goal = (c: Context) => ({
  user_id: c.userId,
  goal_type: 'mood_improvement',
  target_value: 1,
  target_unit: 'score',
  frequency: 'daily',
});
const mood = (c: Context) => ({ user_id: c.userId, mood_score: 5, mood_label: 'neutral' });
const stress = (c: Context) => ({ user_id: c.userId, stress_level: 5, stress_label: 'moderate' });
const sleep = (c: Context) => ({
  user_id: c.userId,
  sleep_date: '2026-01-01',
  bedtime: '23:00',
  wake_time: '07:00',
  quality_score: 5,
  quality_label: 'fair',
});
const tag = () => ({ tag_name: '#CheckTag', category: 'Energy', description: 'x'.repeat(50) });
const foodTag = (c: Context) => ({ food_id: c.mealId, tag_id: c.tagId, source: 'nutritionist' });
const chat = (c: Context) => ({ user_id: c.userId, llm_model: 'gpt-4' });
const note = (bytes: number) => ({ notes_encrypted: Buffer.alloc(bytes, 1), notes_key_version: 1 });
/** Codes of health.stress_triggers_ref and health.coping_strategies_ref (stress_logs holds codes). */
const triggers = (n: number) =>
  [
    'work',
    'study',
    'finances',
    'relationships',
    'family',
    'health',
    'sleep',
    'caregiving',
    'commute',
    'news',
    'social_media',
  ].slice(0, n);
const coping = (n: number) =>
  [
    'exercise',
    'walk',
    'meditation',
    'breathing',
    'talking',
    'journaling',
    'music',
    'rest',
    'hobby',
    'time_outdoors',
    'therapy',
  ].slice(0, n);

// One line per case reads as a table.
// prettier-ignore
const cases: Case[] = [
  // public.users (doc 4.1)
  { table: 'public.users', constraint: 'chk_username_format', base: user, refuses: 'a 2-character username', violating: { username: 'ab' }, accepts: 'a 3-character username', boundary: { username: 'abc' } },
  { table: 'public.users', constraint: 'chk_username_format', base: user, refuses: 'a hyphen in a username', violating: { username: 'bad-name' }, accepts: 'a 20-character username', boundary: { username: 'a_b_c_d_e_f_g_h_i_j0' } },
  { table: 'public.users', constraint: 'chk_email_format', base: user, refuses: 'an email without a dotted domain', violating: { email: 'someone@localhost' }, accepts: 'the shortest email', boundary: { email: 'a@b.co' } },
  { table: 'public.users', constraint: 'users_email_lowercase_check', base: user, refuses: 'an email with capitals', violating: { email: 'Someone@example.com' }, accepts: 'a lowercased email', boundary: { email: 'someone@example.com' } },
  { table: 'public.users', constraint: 'users_time_zone_check', base: user, refuses: 'an unknown time zone', violating: { time_zone: 'Mars/Olympus_Mons' }, accepts: 'an IANA time zone', boundary: { time_zone: 'Asia/Kathmandu' } },
  { table: 'public.users', constraint: 'users_role_check', base: user, refuses: 'an unknown role', violating: { role: 'root' }, accepts: 'the admin role', boundary: { role: 'admin' } },
  { table: 'public.users', constraint: 'users_failed_login_count_check', base: user, refuses: 'a negative failed login count', violating: { failed_login_count: -1 }, accepts: 'zero failed logins', boundary: { failed_login_count: 0 } },

  // public.health_profiles (doc 4.1)
  { table: 'public.health_profiles', constraint: 'chk_height_range', base: profile, refuses: 'a height of 49 cm', violating: { height_cm: 49 }, accepts: 'a height of 50 cm', boundary: { height_cm: 50 } },
  { table: 'public.health_profiles', constraint: 'chk_height_range', base: profile, refuses: 'a height of 301 cm', violating: { height_cm: 301 }, accepts: 'a height of 300 cm', boundary: { height_cm: 300 } },
  { table: 'public.health_profiles', constraint: 'chk_weight_range', base: profile, refuses: 'a weight of 19.99 kg', violating: { weight_kg: 19.99 }, accepts: 'a weight of 20 kg', boundary: { weight_kg: 20 } },
  { table: 'public.health_profiles', constraint: 'chk_weight_range', base: profile, refuses: 'a weight of 500.01 kg', violating: { weight_kg: 500.01 }, accepts: 'a weight of 500 kg', boundary: { weight_kg: 500 } },
  { table: 'public.health_profiles', constraint: 'chk_age_minimum', base: profile, refuses: 'a user one day short of 13', violating: (c) => ({ date_of_birth: c.dayAfterThirteenYearsAgo }), accepts: 'a user 13 today', boundary: (c) => ({ date_of_birth: c.thirteenYearsAgo }) },
  { table: 'public.health_profiles', constraint: 'chk_gender_values', base: profile, refuses: 'an unknown gender value', violating: { gender: 'unknown' }, accepts: 'prefer_not_to_say', boundary: { gender: 'prefer_not_to_say' } },
  { table: 'public.health_profiles', constraint: 'chk_activity_level', base: profile, refuses: 'an unknown activity level', violating: { activity_level: 'extreme' }, accepts: 'very_active', boundary: { activity_level: 'very_active' } },

  // public.user_allergies (doc 4.1)
  { table: 'public.user_allergies', constraint: 'chk_severity_values', base: allergy, refuses: 'a lowercase severity', violating: { severity: 'severe' }, accepts: 'LIFE_THREATENING', boundary: { severity: 'LIFE_THREATENING' } },
  { table: 'public.user_allergies', constraint: 'user_allergies_notes_encrypted_check', base: allergy, refuses: 'notes of 4097 encrypted bytes', violating: note(4097), accepts: 'notes of 4096 encrypted bytes', boundary: note(4096) },
  { table: 'public.user_allergies', constraint: 'user_allergies_notes_key_version_check', base: allergy, refuses: 'encrypted notes without a key version', violating: { notes_encrypted: Buffer.alloc(8, 1) }, accepts: 'no notes and no key version', boundary: { notes_encrypted: null, notes_key_version: null } },

  // health.allergens (doc 4.2)
  { table: 'health.allergens', constraint: 'chk_allergen_category', base: allergen, refuses: 'a lowercase category', violating: { category: 'food' }, accepts: 'the Other category', boundary: { category: 'Other' } },

  // auth.verification_tokens (doc 4.3)
  { table: 'auth.verification_tokens', constraint: 'chk_token_type', base: token, refuses: 'an unknown token type', violating: { token_type: 'magic_link' }, accepts: 'a password reset token', boundary: { token_type: 'password_reset' } },
  { table: 'auth.verification_tokens', constraint: 'chk_token_expiry', base: token, refuses: 'a token expiring as it is made', violating: { created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-01T00:00:00Z' }, accepts: 'a token expiring a millisecond later', boundary: { created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-01T00:00:00.001Z' } },

  // public.restaurants (doc 4.4)
  { table: 'public.restaurants', constraint: 'chk_rating_range', base: restaurant, refuses: 'a rating of 5.1', violating: { rating: 5.1 }, accepts: 'a rating of 5.0', boundary: { rating: 5 } },
  { table: 'public.restaurants', constraint: 'chk_price_range', base: restaurant, refuses: 'a price range of 0', violating: { price_range: 0 }, accepts: 'a price range of 1', boundary: { price_range: 1 } },
  { table: 'public.restaurants', constraint: 'chk_price_range', base: restaurant, refuses: 'a price range of 5', violating: { price_range: 5 }, accepts: 'a price range of 4', boundary: { price_range: 4 } },
  { table: 'public.restaurants', constraint: 'chk_coordinates', base: restaurant, refuses: 'a latitude of 90.00000001', violating: { latitude: '90.00000001', longitude: 0 }, accepts: 'the poles and the antimeridian', boundary: { latitude: 90, longitude: 180 } },
  { table: 'public.restaurants', constraint: 'chk_coordinates', base: restaurant, refuses: 'a longitude of -180.00000001', violating: { latitude: 0, longitude: '-180.00000001' }, accepts: 'a longitude of -180', boundary: { latitude: -90, longitude: -180 } },
  { table: 'public.restaurants', constraint: 'chk_coordinates', base: restaurant, refuses: 'a latitude without a longitude', violating: { latitude: 45, longitude: null }, accepts: 'no coordinates at all', boundary: { latitude: null, longitude: null } },

  // public.meals (doc 4.4)
  { table: 'public.meals', constraint: 'chk_price_positive', base: meal, refuses: 'a price of 0', violating: { price: 0 }, accepts: 'a price of 0.01', boundary: { price: 0.01 } },
  { table: 'public.meals', constraint: 'chk_calories_range', base: meal, refuses: '-1 calories', violating: { calories: -1 }, accepts: '0 calories', boundary: { calories: 0 } },
  { table: 'public.meals', constraint: 'chk_calories_range', base: meal, refuses: '5001 calories', violating: { calories: 5001 }, accepts: '5000 calories', boundary: { calories: 5000 } },
  { table: 'public.meals', constraint: 'chk_nutrients_positive', base: meal, refuses: 'negative protein', violating: { protein_g: -0.1 }, accepts: 'zero of every nutrient', boundary: { protein_g: 0, carbs_g: 0, fat_g: 0, fiber_g: 0 } },
  { table: 'public.meals', constraint: 'chk_nutrients_positive', base: meal, refuses: 'negative fibre beside unknown others', violating: { fiber_g: -0.1 }, accepts: 'zero fibre', boundary: { fiber_g: 0 } },

  // health.mental_wellness_goals (doc 9.2)
  { table: 'health.mental_wellness_goals', constraint: 'chk_goal_type', base: goal, refuses: 'an unknown goal type', violating: { goal_type: 'happiness' }, accepts: 'mindfulness_practice', boundary: { goal_type: 'mindfulness_practice' } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_target_value_positive', base: goal, refuses: 'a target of 0', violating: { target_value: 0 }, accepts: 'a target of 0.01', boundary: { target_value: 0.01 } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_target_unit', base: goal, refuses: 'an unknown unit', violating: { target_unit: 'points' }, accepts: 'days_per_week', boundary: { target_unit: 'days_per_week' } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_frequency', base: goal, refuses: 'a yearly frequency', violating: { frequency: 'yearly' }, accepts: 'monthly', boundary: { frequency: 'monthly' } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_status', base: goal, refuses: 'a lowercase status', violating: { status: 'active' }, accepts: 'ABANDONED', boundary: { status: 'ABANDONED' } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_date_range', base: goal, refuses: 'an end before the start', violating: { start_date: '2026-01-02', end_date: '2026-01-01' }, accepts: 'an end on the start day', boundary: { start_date: '2026-01-02', end_date: '2026-01-02' } },
  { table: 'health.mental_wellness_goals', constraint: 'chk_notes_length', base: goal, refuses: 'notes of 4097 encrypted bytes', violating: note(4097), accepts: 'notes of 4096 encrypted bytes', boundary: note(4096) },
  { table: 'health.mental_wellness_goals', constraint: 'mental_wellness_goals_notes_key_version_check', base: goal, refuses: 'encrypted notes without a key version', violating: { notes_encrypted: Buffer.from('x') }, accepts: 'encrypted notes with key version 1', boundary: note(1) },

  // health.mood_logs (doc 9.3)
  { table: 'health.mood_logs', constraint: 'chk_mood_score', base: mood, refuses: 'a mood score of 0', violating: { mood_score: 0 }, accepts: 'a mood score of 1', boundary: { mood_score: 1 } },
  { table: 'health.mood_logs', constraint: 'chk_mood_score', base: mood, refuses: 'a mood score of 11', violating: { mood_score: 11 }, accepts: 'a mood score of 10', boundary: { mood_score: 10 } },
  { table: 'health.mood_logs', constraint: 'chk_mood_label', base: mood, refuses: 'an unknown mood label', violating: { mood_label: 'ecstatic' }, accepts: 'very_poor', boundary: { mood_label: 'very_poor' } },
  { table: 'health.mood_logs', constraint: 'chk_energy_level', base: mood, refuses: 'an energy level of 0', violating: { energy_level: 0 }, accepts: 'an energy level of 1', boundary: { energy_level: 1 } },
  { table: 'health.mood_logs', constraint: 'chk_energy_level', base: mood, refuses: 'an energy level of 11', violating: { energy_level: 11 }, accepts: 'an energy level of 10', boundary: { energy_level: 10 } },
  { table: 'health.mood_logs', constraint: 'chk_context_length', base: mood, refuses: 'a context of 101 characters (varchar(100) first)', violating: { context: 'x'.repeat(101) }, accepts: 'a context of 100 characters', boundary: { context: 'x'.repeat(100) }, code: '22001' },
  { table: 'health.mood_logs', constraint: 'chk_notes_length', base: mood, refuses: 'notes of 4097 encrypted bytes', violating: note(4097), accepts: 'notes of 4096 encrypted bytes', boundary: note(4096) },

  // health.stress_logs (doc 9.3)
  { table: 'health.stress_logs', constraint: 'chk_stress_level', base: stress, refuses: 'a stress level of 0', violating: { stress_level: 0 }, accepts: 'a stress level of 1', boundary: { stress_level: 1 } },
  { table: 'health.stress_logs', constraint: 'chk_stress_level', base: stress, refuses: 'a stress level of 11', violating: { stress_level: 11 }, accepts: 'a stress level of 10', boundary: { stress_level: 10 } },
  { table: 'health.stress_logs', constraint: 'chk_stress_label', base: stress, refuses: 'an unknown stress label', violating: { stress_label: 'extreme' }, accepts: 'severe', boundary: { stress_label: 'severe' } },
  { table: 'health.stress_logs', constraint: 'chk_triggers_count', base: stress, refuses: '11 triggers', violating: { triggers: triggers(11) }, accepts: '10 triggers', boundary: { triggers: triggers(10) } },
  { table: 'health.stress_logs', constraint: 'stress_logs_triggers_check', base: stress, refuses: 'a trigger code not in the vocabulary', violating: { triggers: ['work', 'aliens'] }, accepts: 'codes of the vocabulary', boundary: { triggers: ['work', 'other'] } },
  { table: 'health.stress_logs', constraint: 'chk_coping_count', base: stress, refuses: '11 coping strategies', violating: { coping_strategies: coping(11) }, accepts: '10 coping strategies', boundary: { coping_strategies: coping(10) } },
  { table: 'health.stress_logs', constraint: 'stress_logs_coping_strategies_check', base: stress, refuses: 'a coping code not in the vocabulary', violating: { coping_strategies: ['shouting'] }, accepts: 'codes of the vocabulary', boundary: { coping_strategies: ['walk'] } },
  { table: 'health.stress_logs', constraint: 'chk_notes_length', base: stress, refuses: 'notes of 4097 encrypted bytes', violating: note(4097), accepts: 'notes of 4096 encrypted bytes', boundary: note(4096) },

  // health.sleep_logs (doc 9.4)
  { table: 'health.sleep_logs', constraint: 'chk_quality_score', base: sleep, refuses: 'a quality score of 0', violating: { quality_score: 0 }, accepts: 'a quality score of 1', boundary: { quality_score: 1 } },
  { table: 'health.sleep_logs', constraint: 'chk_quality_score', base: sleep, refuses: 'a quality score of 11', violating: { quality_score: 11 }, accepts: 'a quality score of 10', boundary: { quality_score: 10 } },
  { table: 'health.sleep_logs', constraint: 'chk_quality_label', base: sleep, refuses: 'an unknown quality label', violating: { quality_label: 'great' }, accepts: 'excellent', boundary: { quality_label: 'excellent' } },
  { table: 'health.sleep_logs', constraint: 'chk_interruptions_range', base: sleep, refuses: '-1 interruptions', violating: { interruptions: -1 }, accepts: '0 interruptions', boundary: { interruptions: 0 } },
  { table: 'health.sleep_logs', constraint: 'chk_interruptions_range', base: sleep, refuses: '21 interruptions', violating: { interruptions: 21 }, accepts: '20 interruptions', boundary: { interruptions: 20 } },
  { table: 'health.sleep_logs', constraint: 'chk_notes_length', base: sleep, refuses: 'notes of 4097 encrypted bytes', violating: note(4097), accepts: 'notes of 4096 encrypted bytes', boundary: note(4096) },
  { table: 'health.sleep_logs', constraint: 'sleep_logs_wake_time_check', base: sleep, refuses: 'waking at bedtime', violating: { bedtime: '23:00', wake_time: '23:00' }, accepts: 'waking a minute later', boundary: { bedtime: '23:00', wake_time: '23:01' } },

  // health.health_tags (doc 9.5)
  { table: 'health.health_tags', constraint: 'chk_tag_name_format', base: tag, refuses: 'a tag without #', violating: { tag_name: 'StressRelief' }, accepts: 'the shortest tag', boundary: { tag_name: '#Ab' } },
  { table: 'health.health_tags', constraint: 'chk_tag_name_format', base: tag, refuses: 'a lowercase tag', violating: { tag_name: '#stressRelief' }, accepts: 'a camel-case tag', boundary: { tag_name: '#GutHealth' } },
  { table: 'health.health_tags', constraint: 'chk_category', base: tag, refuses: 'an unknown category', violating: { category: 'Mood' }, accepts: 'Immunity', boundary: { category: 'Immunity' } },
  { table: 'health.health_tags', constraint: 'chk_description_length', base: tag, refuses: 'a description of 49 characters', violating: { description: 'x'.repeat(49) }, accepts: 'a description of 50 characters', boundary: { description: 'x'.repeat(50) } },
  { table: 'health.health_tags', constraint: 'chk_description_length', base: tag, refuses: 'a description of 501 characters', violating: { description: 'x'.repeat(501) }, accepts: 'a description of 500 characters', boundary: { description: 'x'.repeat(500) } },
  { table: 'health.health_tags', constraint: 'chk_effectiveness', base: tag, refuses: 'an effectiveness of 5.01', violating: { effectiveness_rating: 5.01 }, accepts: 'an effectiveness of 5.00', boundary: { effectiveness_rating: 5 } },
  { table: 'health.health_tags', constraint: 'chk_effectiveness', base: tag, refuses: 'an effectiveness of -0.01', violating: { effectiveness_rating: -0.01 }, accepts: 'an effectiveness of 0.00', boundary: { effectiveness_rating: 0 } },

  // health.food_tags (doc 9.5)
  { table: 'health.food_tags', constraint: 'chk_confidence_score', base: foodTag, refuses: 'a confidence of 1.01', violating: { confidence_score: 1.01 }, accepts: 'a confidence of 1.00', boundary: { confidence_score: 1 } },
  { table: 'health.food_tags', constraint: 'chk_confidence_score', base: foodTag, refuses: 'a confidence of -0.01', violating: { confidence_score: -0.01 }, accepts: 'a confidence of 0.00', boundary: { confidence_score: 0 } },
  { table: 'health.food_tags', constraint: 'chk_source', base: foodTag, refuses: 'an unknown source', violating: { source: 'blog' }, accepts: 'database_import', boundary: { source: 'database_import' } },

  // health.ai_chat_sessions (doc 9.6)
  { table: 'health.ai_chat_sessions', constraint: 'chk_message_count', base: chat, refuses: '-1 messages', violating: { message_count: -1 }, accepts: '0 messages', boundary: { message_count: 0 } },
  { table: 'health.ai_chat_sessions', constraint: 'chk_tokens', base: chat, refuses: '-1 tokens', violating: { total_tokens_used: -1 }, accepts: '0 tokens', boundary: { total_tokens_used: 0 } },
  { table: 'health.ai_chat_sessions', constraint: 'ai_chat_sessions_llm_model_fkey', base: chat, refuses: 'a model not in health.llm_models', violating: { llm_model: 'gpt-5' }, accepts: 'claude-3-sonnet', boundary: { llm_model: 'claude-3-sonnet' }, code: '23503' },
  { table: 'health.ai_chat_sessions', constraint: 'chk_status', base: chat, refuses: 'an unknown status', violating: { status: 'DONE' }, accepts: 'ERROR', boundary: { status: 'ERROR' } },
  { table: 'health.ai_chat_sessions', constraint: 'chk_dates', base: chat, refuses: 'an end before the start', violating: { started_at: '2026-01-01T10:00:00Z', ended_at: '2026-01-01T09:59:59Z' }, accepts: 'an end at the start', boundary: { started_at: '2026-01-01T10:00:00Z', ended_at: '2026-01-01T10:00:00Z' } },
];

const rowOf = (c: Context, base: Case['base'], extra: Case['violating']): Row => ({
  ...base(c),
  ...(typeof extra === 'function' ? extra(c) : extra),
});

describe('check constraints', () => {
  const db = useTestDatabase();
  const ctx = {} as Context;

  beforeAll(async () => {
    const owner = await createUser(db.sql);
    const bare = await createUser(db.sql, { profile: false });
    const { restaurantId, mealId } = await createMeal(db.sql);
    const [dates] = await db.sql<{ thirteen: string; dayAfter: string }[]>`
      select (current_date - interval '13 years')::date::text as thirteen,
             (current_date - interval '13 years' + interval '1 day')::date::text as "dayAfter"`;
    const [tagRow] = await db.sql<
      { id: string }[]
    >`select id from health.health_tags where tag_name = '#SleepAid'`;
    Object.assign(ctx, {
      userId: owner.id,
      profileId: owner.profileId,
      bareUserId: bare.id,
      allergenId: await allergenId(db.sql, 'Peanuts'),
      restaurantId,
      mealId,
      tagId: tagRow?.id ?? randomUUID(),
      thirteenYearsAgo: dates?.thirteen,
      dayAfterThirteenYearsAgo: dates?.dayAfter,
    });
  });

  const insert = (table: string, row: Row) =>
    rolledBack(db.sql, async (tx) => {
      await tx`insert into ${tx(table)} ${tx(row)}`;
    });

  describe.each(cases)('$table $constraint', (c) => {
    it(`refuses ${c.refuses}`, async () => {
      const expected = c.code ? { code: c.code } : { code: '23514', constraint_name: c.constraint };

      await expect(insert(c.table, rowOf(ctx, c.base, c.violating))).rejects.toMatchObject(expected);
    });

    it(`accepts ${c.accepts}`, async () => {
      await expect(insert(c.table, rowOf(ctx, c.base, c.boundary))).resolves.toBeUndefined();
    });
  });

  it('covers every chk_ constraint of the design doc that the schema has', async () => {
    const rows = await db.sql<{ rel: string; name: string }[]>`
      select n.nspname || '.' || r.relname as rel, c.conname as name
      from pg_constraint c
      join pg_class r on r.oid = c.conrelid
      join pg_namespace n on n.oid = r.relnamespace
      where c.contype = 'c' and c.conname like 'chk\\_%' and n.nspname in ('public', 'auth', 'health', 'audit')`;
    const covered = new Set(cases.map((c) => `${c.table} ${c.constraint}`));

    expect(rows.map((r) => `${r.rel} ${r.name}`).filter((k) => !covered.has(k))).toEqual([]);
  });
});
