import { randomUUID } from 'node:crypto';
import { healthRoutes } from '../../functions/health/routes';
import { createUser, useApi } from '../support';

const api = useApi();

async function ids(token: string) {
  const get = (p: string) =>
    api.request('GET', p, { token }).then((r) => r.body.items as { id: string; name: string }[]);
  const [allergens, diets, conditions] = await Promise.all([
    get('/reference/allergens'),
    get('/reference/dietary-restrictions'),
    get('/reference/medical-conditions'),
  ]);
  const pick = (list: { id: string; name: string }[], name: string) => list.find((i) => i.name === name)?.id;
  return {
    peanuts: pick(allergens, 'Peanuts'),
    sesame: pick(allergens, 'Sesame'),
    vegan: pick(diets, 'vegan'),
    asthma: pick(conditions, 'gerd'),
  };
}

/** Every table of every application schema whose rows, as text, contain the marker. */
async function tablesHolding(marker: string): Promise<string[]> {
  const tables = await api.db.sql<{ name: string }[]>`
    select format('%I.%I', schemaname, tablename) as name from pg_tables
    where schemaname in ('public', 'auth', 'health', 'audit')`;
  expect(tables.length).toBeGreaterThan(30);
  const hits: string[] = [];
  for (const { name } of tables) {
    const [row] = await api.db.sql.unsafe(`select count(*)::int as n from ${name} t where t::text like $1`, [
      `%${marker}%`,
    ]);
    if ((row as unknown as { n: number }).n > 0) hits.push(name);
  }
  return hits;
}

describe('health free text', () => {
  it('is stored only as ciphertext: a marker sent in every note is found in no table, audit included', async () => {
    const u = await createUser(api.db);
    const ref = await ids(u.token);
    const marker = `marker-${randomUUID()}`;
    const allergy = await api.request('POST', '/me/allergies', {
      token: u.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { allergen_id: ref.peanuts, severity: 'SEVERE', reaction_notes: `${marker} on create` },
    });
    await api.request('PATCH', `/me/allergies/${allergy.body.id}`, {
      token: u.token,
      body: { reaction_notes: `${marker} on change` },
    });
    const condition = await api.request('POST', '/me/medical-conditions', {
      token: u.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { condition_id: ref.asthma, notes: `${marker} condition` },
    });
    await api.request('PATCH', `/me/medical-conditions/${condition.body.id}`, {
      token: u.token,
      body: { notes: `${marker} condition changed` },
    });

    // the owner reads them back in clear
    const health = await api.request('GET', '/me/health', { token: u.token });
    expect(health.body.allergies[0].reaction_notes).toBe(`${marker} on change`);
    expect(health.body.medical_conditions[0].notes).toBe(`${marker} condition changed`);

    expect(await tablesHolding(marker)).toEqual([]);
    const [stored] = await api.db.sql`
      select notes_key_version from public.user_allergies where id = ${allergy.body.id}`;
    expect(stored?.notes_key_version).toBe(2);
  });

  it('cannot be opened in another row: the ciphertext is bound to its owner', async () => {
    const a = await createUser(api.db);
    const b = await createUser(api.db);
    const ref = await ids(a.token);
    const mine = await api.request('POST', '/me/allergies', {
      token: a.token,
      body: { allergen_id: ref.peanuts, severity: 'MILD', reaction_notes: 'private' },
    });
    const theirs = await api.request('POST', '/me/allergies', {
      token: b.token,
      body: { allergen_id: ref.peanuts, severity: 'MILD' },
    });
    await api.db.sql`
      update public.user_allergies t set notes_encrypted = s.notes_encrypted, notes_key_version = s.notes_key_version
      from public.user_allergies s where s.id = ${mine.body.id} and t.id = ${theirs.body.id}`;
    const read = await api.request('GET', '/me/allergies', { token: b.token });
    expect(read.status).toBe(500);
    expect(JSON.stringify(read.body)).not.toContain('private');
  });
});

describe('the audit of health records', () => {
  it('records every change with the acting user, and never its free text', async () => {
    const u = await createUser(api.db);
    const ref = await ids(u.token);
    await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: {
        height_cm: 170,
        weight_kg: 70,
        date_of_birth: '1990-01-01',
        gender: 'male',
        activity_level: 'light',
      },
    });
    const allergy = await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: ref.sesame, severity: 'MILD', reaction_notes: 'itchy' },
    });
    await api.request('PATCH', `/me/allergies/${allergy.body.id}`, {
      token: u.token,
      body: { severity: 'MODERATE' },
    });
    const diet = await api.request('POST', '/me/dietary-restrictions', {
      token: u.token,
      body: { restriction_id: ref.vegan },
    });
    await api.request('DELETE', `/me/dietary-restrictions/${diet.body.id}`, { token: u.token });
    await api.request('POST', '/me/medical-conditions', {
      token: u.token,
      body: { condition_id: ref.asthma, notes: 'reflux at night' },
    });
    await api.request('POST', '/me/fitness-goals', { token: u.token, body: { goal_type: 'endurance' } });
    await api.request('PUT', '/me/preferences', { token: u.token, body: { cuisines: ['greek'] } });

    const rows = await api.db.sql<{ table_name: string; operation: string; user_id: string; data: string }[]>`
      select table_name, operation, user_id, coalesce(new_data, old_data)::text as data
      from audit.data_changes where subject_user_id = ${u.id} order by changed_at, table_name`;
    const seen = rows.map((r) => `${r.table_name} ${r.operation}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'health_profiles INSERT',
        'user_allergies INSERT',
        'user_allergies UPDATE',
        'user_dietary_restrictions INSERT',
        'user_dietary_restrictions DELETE',
        'user_medical_conditions INSERT',
        'user_fitness_goals INSERT',
        'user_preferences INSERT',
      ]),
    );
    expect(rows.every((r) => r.user_id === u.id)).toBe(true);
    expect(rows.some((r) => /notes_encrypted|itchy|reflux/.test(r.data))).toBe(false);
  });
});

describe("another person's health records", () => {
  it('can be neither read nor changed through any route of the health domain', async () => {
    const a = await createUser(api.db);
    const b = await createUser(api.db);
    const ref = await ids(a.token);
    const made = {
      allergies: await api.request('POST', '/me/allergies', {
        token: a.token,
        body: { allergen_id: ref.peanuts, severity: 'SEVERE', reaction_notes: 'secret reaction' },
      }),
      'dietary-restrictions': await api.request('POST', '/me/dietary-restrictions', {
        token: a.token,
        body: { restriction_id: ref.vegan },
      }),
      'medical-conditions': await api.request('POST', '/me/medical-conditions', {
        token: a.token,
        body: { condition_id: ref.asthma, notes: 'secret condition' },
      }),
      'fitness-goals': await api.request('POST', '/me/fitness-goals', {
        token: a.token,
        body: { goal_type: 'weight_loss' },
      }),
    };
    await api.request('PUT', '/me/preferences', { token: a.token, body: { cuisines: ['secretcuisine'] } });
    const before = await api.request('GET', '/me/health', { token: a.token });

    // Every route of the domain, walked from its slice of the route table, as B.
    const bodies: Record<string, unknown> = {
      'PATCH /me/allergies/{id}': { severity: 'MILD' },
      'PATCH /me/medical-conditions/{id}': { notes: 'changed by b' },
      'PATCH /me/fitness-goals/{id}': { status: 'ABANDONED' },
      'PUT /me/health-profile': { height_cm: 150 },
      'PUT /me/preferences': { cuisines: [] },
    };
    const hers = new RegExp(
      ['secret', a.id, ...Object.values(made).map((m) => m.body.id as string)].join('|'),
    );
    let walked = 0;
    for (const route of healthRoutes) {
      const key = `${route.method} ${route.path}`;
      if (route.method === 'POST') continue;
      const targets = route.path.includes('{id}')
        ? [made[route.path.split('/')[2] as keyof typeof made].body.id as string]
        : [undefined];
      for (const id of targets) {
        const path = id ? route.path.replace('{id}', id) : route.path;
        const r = await api.request(route.method, path, { token: b.token, body: bodies[key] });
        walked += 1;
        if (id) expect([key, r.status]).toEqual([key, 404]);
        expect(JSON.stringify(r.body ?? '')).not.toMatch(hers);
      }
    }
    expect(walked).toBe(healthRoutes.filter((r) => r.method !== 'POST').length);

    const after = await api.request('GET', '/me/health', { token: a.token });
    expect(after.body).toEqual(before.body);
  });
});
