import { randomUUID } from 'node:crypto';
import type { Sql } from '../../functions/core/db';
import { asRole } from '../db/fixtures';
import { createUser, useApi } from '../support';
import { addRestaurant } from './support';

const api = useApi();

type Severity = 'MILD' | 'MODERATE' | 'SEVERE' | 'LIFE_THREATENING';

async function ingredient(sql: Sql, name: string, allergen: string | null) {
  const [row] = await sql<{ id: string }[]>`
    insert into public.ingredients (name, allergen_id)
    values (${name}, (select id from health.allergens where name = ${allergen}))
    returning id`;
  return row!.id;
}

async function meal(
  sql: Sql,
  restaurantId: string,
  m: { name: string; description?: string; complete: boolean; items: [string, 'contains' | 'may_contain'][] },
) {
  const [row] = await sql<{ id: string }[]>`
    insert into public.meals (restaurant_id, name, description, price, calories, protein_g, ingredients_complete)
    values (${restaurantId}, ${m.name}, ${m.description ?? null}, 12.5, 600, 30.5, ${m.complete})
    returning id`;
  for (const [ing, presence] of m.items)
    await sql`insert into public.meal_ingredients (meal_id, ingredient_id, presence) values (${row!.id}, ${ing}, ${presence})`;
  return row!.id;
}

async function allergic(userId: string, allergies: [string, Severity][]) {
  const [profile] = await api.db.sql<{ id: string }[]>`
    insert into public.health_profiles (user_id) values (${userId}) returning id`;
  for (const [name, severity] of allergies)
    await api.db.sql`
      insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity)
      values (${userId}, ${profile!.id}, (select id from health.allergens where name = ${name}), ${severity})`;
}

describe('meals and the caller’s safety verdict', () => {
  const meals: Record<string, string> = {};
  let restaurantId = '';

  beforeAll(async () => {
    const sql = api.db.sql;
    restaurantId = await addRestaurant(sql, { lat: 40, lon: -74, name: 'Verdict Kitchen' });
    const peanutSauce = await ingredient(sql, 'Peanut sauce', 'Peanuts');
    const rice = await ingredient(sql, 'Rice', null);
    const coconut = await ingredient(sql, 'Coconut milk', null);
    const flour = await ingredient(sql, 'Wheat flour', 'Wheat');
    const sesame = await ingredient(sql, 'Sesame seeds', 'Sesame');
    meals.peanut = await meal(sql, restaurantId, {
      name: 'Peanut noodles',
      description: 'Rice noodles in a spicy peanut sauce',
      complete: true,
      items: [
        [peanutSauce, 'contains'],
        [rice, 'contains'],
      ],
    });
    meals.trace = await meal(sql, restaurantId, {
      name: 'Green curry',
      description: 'Coconut curry, kitchen handles peanuts',
      complete: true,
      items: [
        [coconut, 'contains'],
        [peanutSauce, 'may_contain'],
      ],
    });
    meals.rice = await meal(sql, restaurantId, {
      name: 'Plain rice',
      complete: true,
      items: [[rice, 'contains']],
    });
    meals.partial = await meal(sql, restaurantId, {
      name: 'Rice bowl',
      complete: false,
      items: [[rice, 'contains']],
    });
    meals.empty = await meal(sql, restaurantId, { name: 'Chef special', complete: true, items: [] });
    meals.bread = await meal(sql, restaurantId, {
      name: 'Sourdough',
      description: 'Wheat sourdough bread',
      complete: true,
      items: [[flour, 'contains']],
    });
    meals.sesame = await meal(sql, restaurantId, {
      name: 'Rice salad',
      complete: true,
      items: [
        [rice, 'contains'],
        [sesame, 'may_contain'],
      ],
    });
    await sql`
      insert into health.food_tags (food_id, tag_id, confidence_score, source, verified)
      select ${meals.rice!}, id, 0.65, 'nutritionist', true from health.health_tags where tag_name = '#SleepAid'`;
  });

  const people: [string, [string, Severity][]][] = [
    ['no allergies', []],
    ['a mild peanut allergy', [['Peanuts', 'MILD']]],
    ['a moderate peanut allergy', [['Peanuts', 'MODERATE']]],
    ['a severe peanut allergy', [['Peanuts', 'SEVERE']]],
    ['a life-threatening peanut allergy', [['Peanuts', 'LIFE_THREATENING']]],
    ['a severe allergy to cereals containing gluten', [['Cereals containing gluten', 'SEVERE']]],
    ['a mild wheat allergy', [['Wheat', 'MILD']]],
    [
      'a mild sesame and a moderate peanut allergy',
      [
        ['Sesame', 'MILD'],
        ['Peanuts', 'MODERATE'],
      ],
    ],
  ];

  it.each(people)(
    'for a person with %s, `safe` is what is_meal_safe_for_user answers, for every meal',
    async (_who, allergies) => {
      const u = await createUser(api.db);
      if (allergies.length > 0) await allergic(u.id, allergies);
      const expected = await asRole(
        api.db.sql,
        'eatsential_write',
        u.id,
        (tx) =>
          tx<{ id: string; safe: boolean }[]>`
        select id, public.is_meal_safe_for_user(${u.id}, id) as safe
        from public.meals where restaurant_id = ${restaurantId} order by id`,
      );
      const list = await api.request('GET', `/restaurants/${restaurantId}/meals`, { token: u.token });
      expect(list.status).toBe(200);
      const fromList = new Map(
        (list.body.items as { id: string; safety: { safe: boolean } }[]).map((m) => [m.id, m.safety]),
      );
      for (const e of expected) {
        const one = await api.request('GET', `/meals/${e.id}`, { token: u.token });
        expect([e.id, one.body.safety.safe]).toEqual([e.id, e.safe]);
        expect(fromList.get(e.id)).toEqual(one.body.safety);
        expect(one.body.safety.level === 'unsafe').toBe(!e.safe);
        if (!e.safe) expect(one.body.safety.reasons.length).toBeGreaterThan(0);
      }
      expect(expected).toHaveLength(7);
    },
  );

  it('explains each verdict in words', async () => {
    const u = await createUser(api.db);
    await allergic(u.id, [
      ['Sesame', 'MILD'],
      ['Peanuts', 'SEVERE'],
    ]);
    const get = async (m: string) =>
      (await api.request('GET', `/meals/${meals[m]}`, { token: u.token })).body.safety;
    expect(await get('sesame')).toEqual({
      safe: true,
      level: 'caution',
      reasons: [
        {
          code: 'may_contain_allergen',
          allergen: 'Sesame',
          severity: 'MILD',
          ingredient: 'Sesame seeds',
          message: 'may contain sesame (Sesame seeds): you are mildly allergic',
        },
      ],
    });
    expect((await get('trace')).reasons.map((r: { message: string }) => r.message)).toEqual([
      'may contain peanuts (Peanut sauce): you are severely allergic',
    ]);
    expect((await get('peanut')).reasons.map((r: { message: string }) => r.message)).toEqual([
      'contains peanuts (Peanut sauce): you are severely allergic',
    ]);
    expect((await get('partial')).reasons.map((r: { code: string }) => r.code)).toEqual([
      'ingredients_incomplete',
    ]);
    expect((await get('empty')).reasons.map((r: { code: string }) => r.code)).toEqual(['no_ingredients']);
    expect(await get('rice')).toEqual({ safe: true, level: 'safe', reasons: [] });
  });

  it('shows nutrition, ingredients with allergens and presence, completeness and health tags', async () => {
    const u = await createUser(api.db);
    const r = await api.request('GET', `/meals/${meals.trace}`, { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Green curry',
      price: 12.5,
      nutrition: { calories: 600, protein_g: 30.5, carbs_g: null },
      ingredients_complete: true,
      ingredients: [
        { name: 'Coconut milk', presence: 'contains', allergen: null },
        { name: 'Peanut sauce', presence: 'may_contain', allergen: { name: 'Peanuts' } },
      ],
    });
    const rice = await api.request('GET', `/meals/${meals.rice}`, { token: u.token });
    expect(rice.body.health_tags).toEqual([
      {
        id: expect.any(String),
        tag: '#SleepAid',
        category: 'Sleep',
        source: 'nutritionist',
        confidence: 0.65,
        verified: true,
      },
    ]);
  });

  it('answers 404 with a named code for unknown meals and restaurants, and for inactive restaurants', async () => {
    const u = await createUser(api.db);
    expect((await api.request('GET', `/meals/${randomUUID()}`, { token: u.token })).body.code).toBe(
      'meal_not_found',
    );
    expect((await api.request('GET', `/restaurants/${randomUUID()}`, { token: u.token })).body.code).toBe(
      'restaurant_not_found',
    );
    const closed = await addRestaurant(api.db.sql, { lat: 1, lon: 1, active: false });
    expect((await api.request('GET', `/restaurants/${closed}`, { token: u.token })).status).toBe(404);
    expect((await api.request('GET', `/restaurants/${closed}/meals`, { token: u.token })).status).toBe(404);
    expect((await api.request('GET', '/meals/not-a-uuid', { token: u.token })).status).toBe(400);
  });

  it('gives a restaurant with its distance from near and whether it is open', async () => {
    const u = await createUser(api.db);
    const r = await api.request('GET', `/restaurants/${restaurantId}?near=40,-73`, { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Verdict Kitchen',
      meal_count: 7,
      time_zone: 'UTC',
      open_now: null,
    });
    expect(r.body.distance_km).toBeCloseTo(85.2, 0);
  });
});

describe('GET /meals?q=: full-text search', () => {
  let token = '';
  const names = async (query: string) => {
    const r = await api.request('GET', `/meals?${query}`, { token });
    expect(r.status).toBe(200);
    return (r.body.items as { name: string }[]).map((i) => i.name);
  };

  beforeAll(async () => {
    const u = await createUser(api.db);
    token = u.token;
    await allergic(u.id, [['Fish', 'SEVERE']]);
    const sql = api.db.sql;
    const near = await addRestaurant(sql, { lat: 51.5, lon: -0.12 });
    const far = await addRestaurant(sql, { lat: 51.5, lon: 0.6 }); // about 50 km east
    const gone = await addRestaurant(sql, { lat: 51.5, lon: -0.12, active: false });
    const salmon = await ingredient(sql, 'Smoked salmon', 'Fish');
    await meal(sql, near, {
      name: 'Salmon bagel',
      description: 'Smoked salmon, cream cheese',
      complete: true,
      items: [[salmon, 'contains']],
    });
    await meal(sql, far, {
      name: 'Salmon bagel deluxe',
      description: 'Smoked salmon, cream cheese',
      complete: true,
      items: [],
    });
    await meal(sql, near, {
      name: 'Green salad',
      description: 'Leaves, with salmon on request',
      complete: true,
      items: [],
    });
    await meal(sql, gone, { name: 'Salmon tartare', complete: true, items: [] });
    await sql`
      insert into public.meals (restaurant_id, name, price, is_available) values (${near}, 'Salmon pie', 9, false)`;
    for (let i = 0; i < 5; i++)
      await meal(sql, far, {
        name: `Noodle soup ${i}`,
        description: 'Broth and noodles',
        complete: true,
        items: [],
      });
  });

  it('finds words in names and descriptions, name matches first, leaving out unavailable meals and inactive restaurants', async () => {
    const hits = await names('q=salmon');
    expect(hits).toHaveLength(3);
    expect(hits.at(-1)).toBe('Green salad');
    expect(hits).not.toContain('Salmon tartare');
    expect(hits).not.toContain('Salmon pie');
    expect(await names('q=salmons')).toHaveLength(3); // English stemming
    expect(await names('q=tofu')).toEqual([]);
  });

  it('ranks nearer hits higher and carries distance and the caller’s verdict', async () => {
    const r = await api.request('GET', '/meals?q=salmon%20bagel&near=51.5,-0.12', { token });
    expect(r.body.items.map((i: { name: string }) => i.name)).toEqual([
      'Salmon bagel',
      'Salmon bagel deluxe',
    ]);
    const [first, second] = r.body.items;
    expect(first.distance_km).toBeCloseTo(0, 3);
    expect(second.distance_km).toBeGreaterThan(45);
    expect(first.safety).toMatchObject({ safe: false, level: 'unsafe' });
    expect(second.safety.reasons.map((x: { code: string }) => x.code)).toEqual(['no_ingredients']);
    expect(first.restaurant).toEqual({
      id: first.restaurant_id,
      name: expect.any(String),
      city: 'Testville',
    });
  });

  it('pages with a cursor bound to the query', async () => {
    const first = await api.request('GET', '/meals?q=soup&limit=2', { token });
    expect(first.body.items).toHaveLength(2);
    const seen = [...first.body.items];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const next = await api.request('GET', `/meals?q=soup&limit=2&cursor=${cursor}`, { token });
      seen.push(...next.body.items);
      cursor = next.body.next_cursor;
    }
    expect(new Set(seen.map((s: { id: string }) => s.id)).size).toBe(5);
    const foreign = await api.request('GET', `/meals?q=noodle&limit=2&cursor=${first.body.next_cursor}`, {
      token,
    });
    expect([foreign.status, foreign.body.code]).toEqual([400, 'invalid_cursor']);
  });

  it('refuses a missing query and bad coordinates, naming the parameter', async () => {
    for (const [query, field] of [
      ['', 'query.q'],
      ['q=%20', 'query.q'],
      ['q=salmon&near=0,200', 'query.near'],
    ]) {
      const r = await api.request('GET', `/meals?${query}`, { token });
      expect([query, r.status]).toEqual([query, 400]);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
  });
});
