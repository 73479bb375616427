import { randomUUID } from 'node:crypto';
import { createUser, useApi } from '../support';

const api = useApi();

async function catalogue(token: string) {
  const [allergens, diets, conditions] = await Promise.all(
    ['/reference/allergens', '/reference/dietary-restrictions', '/reference/medical-conditions'].map((p) =>
      api.request('GET', p, { token }),
    ),
  );
  const find = (list: { body: { items: { id: string; name: string }[] } }, name: string) =>
    (list.body.items.find((i) => i.name === name) as { id: string }).id;
  return {
    allergen: (name: string) => find(allergens as never, name),
    diet: (name: string) => find(diets as never, name),
    condition: (name: string) => find(conditions as never, name),
  };
}

describe('allergies', () => {
  it('adds, lists, changes and removes an allergy, its reaction notes readable by its owner', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const add = await api.request('POST', '/me/allergies', {
      token: u.token,
      body: {
        allergen_id: ref.allergen('Peanuts'),
        severity: 'SEVERE',
        reaction_notes: 'Hives within minutes; carries an EpiPen',
        diagnosed_date: '2015-04-01',
      },
    });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({
      allergen: { name: 'Peanuts', category: 'Food' },
      severity: 'SEVERE',
      reaction_notes: 'Hives within minutes; carries an EpiPen',
      diagnosed_date: '2015-04-01',
    });

    const list = await api.request('GET', '/me/allergies', { token: u.token });
    expect(list.body.items).toEqual([add.body]);

    const patch = await api.request('PATCH', `/me/allergies/${add.body.id}`, {
      token: u.token,
      body: { severity: 'LIFE_THREATENING', reaction_notes: null },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      severity: 'LIFE_THREATENING',
      reaction_notes: null,
      diagnosed_date: '2015-04-01',
    });

    expect((await api.request('DELETE', `/me/allergies/${add.body.id}`, { token: u.token })).status).toBe(
      204,
    );
    expect((await api.request('DELETE', `/me/allergies/${add.body.id}`, { token: u.token })).status).toBe(
      404,
    );
    expect((await api.request('GET', '/me/allergies', { token: u.token })).body.items).toEqual([]);
  });

  it('makes an empty health profile to hang the first allergy on', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: ref.allergen('Sesame'), severity: 'MILD' },
    });
    const profile = await api.request('GET', '/me/health-profile', { token: u.token });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ height_cm: null, bmr_kcal: null });
  });

  it('makes one empty profile when a new person sends their first records at once, and keeps them all', async () => {
    const u = await createUser(api.db);
    // Concurrent first writes: each makes the profile or finds the one another made meanwhile
    // (once answered 500: the finding read ran in the snapshot from before the other's commit).
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.request('POST', '/me/fitness-goals', { token: u.token, body: { goal_type: 'maintenance' } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const [row] = await api.db.sql<{ profiles: number; goals: number }[]>`
      select (select count(*)::int from public.health_profiles where user_id = ${u.id}) as profiles,
             (select count(*)::int from public.user_fitness_goals where user_id = ${u.id}) as goals`;
    expect(row).toEqual({ profiles: 1, goals: 6 });
  });

  it('answers 409 for a duplicate allergy and 422 for an unknown allergen, naming the field', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const peanut = { allergen_id: ref.allergen('Peanuts'), severity: 'MILD' };
    await api.request('POST', '/me/allergies', { token: u.token, body: peanut });
    const again = await api.request('POST', '/me/allergies', { token: u.token, body: peanut });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'allergy_exists', errors: [{ path: 'body.allergen_id' }] });
    const unknown = await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: randomUUID(), severity: 'MILD' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'unknown_allergen', errors: [{ path: 'body.allergen_id' }] });
    expect(await api.db.sql`select 1 from public.user_allergies where user_id = ${u.id}`).toHaveLength(1);
  });

  it.each([
    ['an unknown severity', { severity: 'TERRIBLE' }, 'body.severity'],
    ['notes over 500 characters', { reaction_notes: 'x'.repeat(501) }, 'body.reaction_notes'],
    ['a NUL in the notes', { reaction_notes: 'a\u0000b' }, 'body.reaction_notes'],
    ['a malformed date', { diagnosed_date: '2020-13-01' }, 'body.diagnosed_date'],
    ['a 30 February', { diagnosed_date: '2023-02-30' }, 'body.diagnosed_date'],
    ['a diagnosis in the future', { diagnosed_date: '2999-01-01' }, 'body.diagnosed_date'],
  ])('refuses %s', async (_what, change, field) => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const r = await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: ref.allergen('Milk'), severity: 'MILD', ...change },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('creates one allergy for a retried request with the same Idempotency-Key', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const request = {
      token: u.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { allergen_id: ref.allergen('Eggs'), severity: 'MODERATE', reaction_notes: 'swelling' },
    };
    const first = await api.request('POST', '/me/allergies', request);
    const retry = await api.request('POST', '/me/allergies', request);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await api.db.sql`select 1 from public.user_allergies where user_id = ${u.id}`).toHaveLength(1);
  });
});

describe('dietary restrictions, medical conditions, fitness goals, preferences', () => {
  it('adds and removes a dietary restriction; a duplicate is 409', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const add = await api.request('POST', '/me/dietary-restrictions', {
      token: u.token,
      body: { restriction_id: ref.diet('vegan') },
    });
    expect(add.status).toBe(201);
    expect(add.body.restriction.name).toBe('vegan');
    const dup = await api.request('POST', '/me/dietary-restrictions', {
      token: u.token,
      body: { restriction_id: ref.diet('vegan') },
    });
    expect(dup.body.code).toBe('dietary_restriction_exists');
    const unknown = await api.request('POST', '/me/dietary-restrictions', {
      token: u.token,
      body: { restriction_id: randomUUID() },
    });
    expect(unknown.body.code).toBe('unknown_dietary_restriction');
    expect((await api.request('GET', '/me/dietary-restrictions', { token: u.token })).body.items).toEqual([
      add.body,
    ]);
    expect(
      (await api.request('DELETE', `/me/dietary-restrictions/${add.body.id}`, { token: u.token })).status,
    ).toBe(204);
  });

  it('keeps medical-condition notes for their owner and changes them', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    const add = await api.request('POST', '/me/medical-conditions', {
      token: u.token,
      body: { condition_id: ref.condition('hypertension'), notes: 'On lisinopril 10 mg' },
    });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ condition: { name: 'hypertension' }, notes: 'On lisinopril 10 mg' });
    const patch = await api.request('PATCH', `/me/medical-conditions/${add.body.id}`, {
      token: u.token,
      body: { diagnosed_date: '2021-02-03' },
    });
    expect(patch.body).toMatchObject({ notes: 'On lisinopril 10 mg', diagnosed_date: '2021-02-03' });
    const dup = await api.request('POST', '/me/medical-conditions', {
      token: u.token,
      body: { condition_id: ref.condition('hypertension') },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('medical_condition_exists');
  });

  it("sets a weight-loss goal whose calorie plan lowers the day's target below TDEE", async () => {
    const u = await createUser(api.db);
    const profile = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: {
        height_cm: 180,
        weight_kg: 90,
        date_of_birth: '1985-03-03',
        gender: 'male',
        activity_level: 'light',
      },
    });
    const goal = await api.request('POST', '/me/fitness-goals', {
      token: u.token,
      body: { goal_type: 'weight_loss' },
    });
    expect(goal.status).toBe(201);
    expect(goal.body.calorie_plan).toMatchObject({
      tdee_kcal: profile.body.tdee_kcal,
      adjustment_kcal: -500,
      daily_target_kcal: profile.body.tdee_kcal - 500,
      floor_applied: false,
    });
    const paused = await api.request('PATCH', `/me/fitness-goals/${goal.body.id}`, {
      token: u.token,
      body: { status: 'PAUSED' },
    });
    expect(paused.body.status).toBe('PAUSED');
    const health = await api.request('GET', '/me/health', { token: u.token });
    expect(health.body.daily_calorie_target).toMatchObject({
      adjustment_kcal: 0,
      daily_target_kcal: profile.body.tdee_kcal,
    });
  });

  it('refuses a fitness goal with calories below 800', async () => {
    const u = await createUser(api.db);
    const r = await api.request('POST', '/me/fitness-goals', {
      token: u.token,
      body: { goal_type: 'weight_loss', target_calories: 500 },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('body.target_calories');
  });

  it('answers default preferences until saved, then what was saved, guarded by If-Match', async () => {
    const u = await createUser(api.db);
    const before = await api.request('GET', '/me/preferences', { token: u.token });
    expect(before.body).toMatchObject({ cuisines: [], price_range: null, updated_at: null });
    const put = await api.request('PUT', '/me/preferences', {
      token: u.token,
      body: { cuisines: ['Thai', 'thai', 'Italian'], price_range: 2, max_distance_km: 5.5 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      cuisines: ['thai', 'italian'],
      price_range: 2,
      max_distance_km: 5.5,
      notifications: { email: true, push: true, meal_reminders: false, wellness_check_ins: false },
    });
    const stale = await api.request('PUT', '/me/preferences', {
      token: u.token,
      body: { cuisines: [] },
      headers: { 'if-match': '"pref-1"' },
    });
    expect(stale.status).toBe(412);
    const fresh = await api.request('PUT', '/me/preferences', {
      token: u.token,
      body: { cuisines: ['korean'] },
      headers: { 'if-match': put.headers.get('etag') as string },
    });
    expect(fresh.body.cuisines).toEqual(['korean']);
  });
});

describe('GET /me/health', () => {
  it('equals what the separate routes answer', async () => {
    const u = await createUser(api.db);
    const ref = await catalogue(u.token);
    await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: {
        height_cm: 170,
        weight_kg: 65,
        date_of_birth: '1992-08-08',
        gender: 'female',
        activity_level: 'active',
      },
    });
    await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: ref.allergen('Peanuts'), severity: 'SEVERE', reaction_notes: 'anaphylaxis' },
    });
    await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: ref.allergen('Milk'), severity: 'MILD' },
    });
    await api.request('POST', '/me/dietary-restrictions', {
      token: u.token,
      body: { restriction_id: ref.diet('halal') },
    });
    await api.request('POST', '/me/medical-conditions', {
      token: u.token,
      body: { condition_id: ref.condition('type_2_diabetes'), notes: 'metformin' },
    });
    await api.request('POST', '/me/fitness-goals', { token: u.token, body: { goal_type: 'muscle_gain' } });
    await api.request('PUT', '/me/preferences', { token: u.token, body: { cuisines: ['turkish'] } });

    const get = (p: string) => api.request('GET', p, { token: u.token }).then((r) => r.body);
    const [whole, profile, allergies, diets, conditions, goals, preferences] = await Promise.all(
      [
        '/me/health',
        '/me/health-profile',
        '/me/allergies',
        '/me/dietary-restrictions',
        '/me/medical-conditions',
        '/me/fitness-goals',
        '/me/preferences',
      ].map(get),
    );
    expect(whole).toEqual({
      profile,
      allergies: allergies.items,
      dietary_restrictions: diets.items,
      medical_conditions: conditions.items,
      fitness_goals: goals.items,
      preferences,
      daily_calorie_target: goals.items[0].calorie_plan,
    });
    expect(whole.allergies).toHaveLength(2);
    expect(whole.daily_calorie_target.adjustment_kcal).toBe(300);
  });
});
