import { randomUUID } from 'node:crypto';
import { createUser, useApi } from '../support';
import { ingredient, meal, person, restaurant } from './support';

const api = useApi();

// A neighbourhood of its own for each test: restaurants of one test are out of reach of another's.
let next = 0;
const place = () => {
  next += 1;
  return { lat: 10 + next, lon: 20 + next };
};
const at = (p: { lat: number; lon: number }, dLatKm = 0) => ({ lat: p.lat + dLatKm / 111.2, lon: p.lon });
const near = (p: { lat: number; lon: number }) => `near=${p.lat},${p.lon}`;

const adult = {
  height_cm: 180,
  weight_kg: 80,
  date_of_birth: '1990-01-01',
  gender: 'male',
  activity_level: 'moderate',
};

describe('GET /me/recommendations', () => {
  it('shows safe meals nearby with their reasons and warnings, stores them, and counts what it left out', async () => {
    const u = await createUser(api.db);
    const p = place();
    await person(api.db.sql, u.id, {
      profile: adult,
      allergies: [
        { allergen: 'Peanuts', severity: 'SEVERE' },
        { allergen: 'Sesame', severity: 'MILD' },
      ],
      maxKm: 5,
      cuisines: ['Thai'],
    });
    const peanut = await ingredient(api.db.sql, 'Peanuts');
    const sesame = await ingredient(api.db.sql, 'Sesame');
    const rice = await ingredient(api.db.sql, null);
    const thai = await restaurant(api.db.sql, { ...at(p, 1), cuisine: 'Thai', name: 'Noodle Bar' });
    const far = await restaurant(api.db.sql, { ...at(p, 8) });
    const closed = await restaurant(api.db.sql, { ...at(p, 2), active: false });

    const safe = await meal(api.db.sql, thai, { calories: 1400, ingredients: [{ id: rice }] });
    const traces = await meal(api.db.sql, thai, {
      calories: 700,
      ingredients: [{ id: rice }, { id: sesame, presence: 'may_contain' }],
    });
    const peanuts = await meal(api.db.sql, thai, { ingredients: [{ id: peanut }] });
    const peanutTraces = await meal(api.db.sql, thai, {
      ingredients: [{ id: rice }, { id: peanut, presence: 'may_contain' }],
    });
    const incomplete = await meal(api.db.sql, thai, { complete: false, ingredients: [{ id: rice }] });
    const gone = await meal(api.db.sql, thai, { available: false, ingredients: [{ id: rice }] });
    await meal(api.db.sql, far, { ingredients: [{ id: rice }] });
    await meal(api.db.sql, closed, { ingredients: [{ id: rice }] });

    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });

    expect(r.status).toBe(200);
    // TDEE: (10*80 + 6.25*180 - 5*age + 5) * 1.55, lunch is 35% of it
    expect(r.body.calorie_target.share).toBe(0.35);
    expect(r.body.calorie_target.meal_kcal).toBe(Math.round(r.body.calorie_target.daily_kcal * 0.35));
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).toEqual([traces, safe]);
    const [first, second] = r.body.items;
    expect(first.reasons.map((x: { code: string }) => x.code)).toEqual(
      expect.arrayContaining(['calorie_fit', 'protein', 'fibre', 'cuisine_preference', 'distance']),
    );
    expect(first.reasons.find((x: { code: string }) => x.code === 'calorie_fit').sentence).toMatch(
      /^700 kcal (fits your|is \d+% (above|below) your) \d+ kcal lunch target$/,
    );
    expect(first.reasons.find((x: { code: string }) => x.code === 'cuisine_preference').sentence).toBe(
      'Thai is one of your preferred cuisines',
    );
    expect(first.warnings).toEqual([
      {
        code: 'may_contain_allergen',
        allergen: 'Sesame',
        sentence: 'may contain sesame: you are mildly allergic',
      },
    ]);
    expect(second.warnings).toEqual([]);
    expect(first.score).toBeGreaterThan(second.score);
    expect(first.restaurant).toMatchObject({ id: thai, name: 'Noodle Bar', cuisine_type: 'Thai' });
    expect(first.restaurant.distance_km).toBeCloseTo(1, 1);

    expect(r.body.left_out).toMatchObject({ considered: 7, hidden: 5, resting: 0 });
    const counts = Object.fromEntries(
      r.body.left_out.reasons.map((x: { code: string; count: number }) => [x.code, x.count]),
    );
    expect(counts).toEqual({ allergy: 2, incomplete_ingredients: 1, unavailable: 1, restaurant_inactive: 1 });
    expect(r.body.left_out.reasons[0].sentence).toBe('2 nearby meals hidden for your peanuts allergy');
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).not.toEqual(
      expect.arrayContaining([peanuts, peanutTraces, incomplete, gone]),
    );

    const stored = await api.db.sql<{ id: string; meal_id: string; score: string; reasons: unknown[] }[]>`
      select id, meal_id, score::text, reasons, algorithm_version, meal_time, status, rank
      from public.recommendations where user_id = ${u.id} order by rank`;
    expect(stored).toEqual([
      expect.objectContaining({
        id: first.id,
        meal_id: traces,
        status: 'shown',
        meal_time: 'lunch',
        rank: 1,
      }),
      expect.objectContaining({ id: second.id, meal_id: safe, status: 'shown', meal_time: 'lunch', rank: 2 }),
    ]);
    expect(Number(stored[0]!.score)).toBeCloseTo(first.score, 3);
    expect(stored[0]!.reasons).toEqual(first.reasons);
    expect(
      stored.every(
        (s) => (s as unknown as { algorithm_version: string }).algorithm_version === r.body.algorithm_version,
      ),
    ).toBe(true);
  });

  it('keeps one stored recommendation per meal and meal time when the request is repeated', async () => {
    const u = await createUser(api.db);
    const p = place();
    const rest = await restaurant(api.db.sql, at(p));
    await meal(api.db.sql, rest);
    const a = await api.request('GET', `/me/recommendations?${near(p)}&meal=dinner`, { token: u.token });
    const [b, c] = await Promise.all([
      api.request('GET', `/me/recommendations?${near(p)}&meal=dinner`, { token: u.token }),
      api.request('GET', `/me/recommendations?${near(p)}&meal=dinner`, { token: u.token }),
    ]);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.body.items[0].id).toBe(a.body.items[0].id);
    expect(c.body.items[0].id).toBe(a.body.items[0].id);
    const [{ n }] = (await api.db
      .sql`select count(*)::int as n from public.recommendations where user_id = ${u.id}`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(1);
  });

  it('shows at most two meals of one restaurant in a page', async () => {
    const u = await createUser(api.db);
    const p = place();
    const big = await restaurant(api.db.sql, at(p));
    const other = await restaurant(api.db.sql, at(p, 3));
    for (let i = 0; i < 5; i += 1) await meal(api.db.sql, big);
    await meal(api.db.sql, other);
    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch&limit=5`, {
      token: u.token,
    });
    const byRestaurant = r.body.items.map((i: { restaurant: { id: string } }) => i.restaurant.id);
    expect(byRestaurant.filter((id: string) => id === big)).toHaveLength(2);
    expect(byRestaurant).toContain(other);
    expect(r.body.items).toHaveLength(3);
  });

  it('looks only as far as the person goes (10 km without a preference)', async () => {
    const u = await createUser(api.db);
    const p = place();
    const nine = await meal(api.db.sql, await restaurant(api.db.sql, at(p, 9)));
    await meal(api.db.sql, await restaurant(api.db.sql, at(p, 11)));
    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    expect(r.body.max_distance_km).toBe(10);
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).toEqual([nine]);
    expect(r.body.left_out.considered).toBe(1);
  });

  it('follows the catalogue as it changes: an ingredient gains an allergen or a trait, a link goes', async () => {
    const u = await createUser(api.db);
    const p = place();
    await person(api.db.sql, u.id, {
      allergies: [{ allergen: 'Peanuts', severity: 'MILD' }],
      diets: ['vegetarian'],
    });
    const sauce = await ingredient(api.db.sql, null);
    const m = await meal(api.db.sql, await restaurant(api.db.sql, at(p)), { ingredients: [{ id: sauce }] });
    const shown = async () =>
      (
        await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token })
      ).body.items.map((i: { meal: { id: string } }) => i.meal.id);
    expect(await shown()).toEqual([m]);
    await api.db
      .sql`update public.ingredients set allergen_id = (select id from health.allergens where name = 'Peanuts') where id = ${sauce}`;
    expect(await shown()).toEqual([]);
    await api.db
      .sql`update public.ingredients set allergen_id = null, diet_traits = '{meat}' where id = ${sauce}`;
    expect(await shown()).toEqual([]);
    await api.db.sql`update public.ingredients set diet_traits = null where id = ${sauce}`;
    expect(await shown()).toEqual([]); // unclassified: vegetarian cannot be decided
    const herb = await ingredient(api.db.sql, null);
    await api.db.sql`insert into public.meal_ingredients (meal_id, ingredient_id) values (${m}, ${herb})`;
    await api.db.sql`delete from public.meal_ingredients where meal_id = ${m} and ingredient_id = ${sauce}`;
    expect(await shown()).toEqual([m]);
    const [facts] = await api.db
      .sql`select ingredient_count, unclassified from public.meal_facts where meal_id = ${m}`;
    expect(facts).toEqual({ ingredient_count: 1, unclassified: false });
  });

  it('follows meals and restaurants as they change: availability, nutrients, certification, closing, moving', async () => {
    const u = await createUser(api.db);
    const p = place();
    await person(api.db.sql, u.id, { diets: ['halal'], conditions: ['hypertension'], maxKm: 5 });
    const rice = await ingredient(api.db.sql, null);
    const r = await restaurant(api.db.sql, at(p, 1));
    const m = await meal(api.db.sql, r, {
      sodium: 500,
      certifications: ['halal'],
      ingredients: [{ id: rice }],
    });
    const page = async () =>
      (await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token })).body as {
        items: { meal: { id: string } }[];
        left_out: { considered: number; reasons: { code: string; count: number }[] };
      };
    const shown = async () => (await page()).items.map((i) => i.meal.id);
    const codes = async () => (await page()).left_out.reasons.map((x) => x.code);
    expect(await shown()).toEqual([m]);

    await api.db.sql`update public.meals set is_available = false where id = ${m}`;
    expect(await codes()).toEqual(['unavailable']);
    await api.db.sql`update public.meals set is_available = true, sodium_mg = 900 where id = ${m}`;
    expect(await codes()).toEqual(['medical_condition']);
    await api.db.sql`update public.meals set sodium_mg = null where id = ${m}`;
    expect(await codes()).toEqual(['medical_condition']); // an unknown figure does not match
    await api.db.sql`update public.meals set sodium_mg = 450, certifications = '{}' where id = ${m}`;
    expect(await codes()).toEqual(['dietary_restriction']);
    await api.db.sql`update public.meals set certifications = '{halal}' where id = ${m}`;
    expect(await shown()).toEqual([m]);

    await api.db.sql`update public.restaurants set is_active = false where id = ${r}`;
    expect(await codes()).toEqual(['restaurant_inactive']);
    await api.db
      .sql`update public.restaurants set is_active = true, latitude = ${at(p, 7).lat} where id = ${r}`;
    const away = await page();
    expect(away.items).toEqual([]);
    expect(away.left_out.considered).toBe(0);
    await api.db.sql`update public.restaurants set latitude = ${at(p, 2).lat} where id = ${r}`;
    expect(await shown()).toEqual([m]);
  });

  it('ranks the nearest 300 eligible meals and still counts every meal within reach', async () => {
    const u = await createUser(api.db);
    const p = place();
    await person(api.db.sql, u.id, { maxKm: 5 });
    const nearBy = await restaurant(api.db.sql, at(p, 0.5));
    const farther = await restaurant(api.db.sql, at(p, 3));
    await api.db.sql`
      insert into public.meals (restaurant_id, name, price, calories, is_available, ingredients_complete)
      select ${nearBy}, 'near ' || g, 12, 600, true, true from generate_series(1, 300) g`;
    const [far] = await api.db.sql<{ id: string }[]>`
      insert into public.meals (restaurant_id, name, price, calories, is_available, ingredients_complete)
      values (${farther}, 'far', 12, 600, true, true) returning id`;
    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch&limit=50`, {
      token: u.token,
    });
    expect(r.status).toBe(200);
    expect(r.body.left_out.considered).toBe(301);
    expect(r.body.left_out.hidden).toBe(0);
    expect(r.body.items).toHaveLength(2); // two a restaurant, and the farther one is past the nearest 300
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).not.toContain(far!.id);
  });

  it.each([
    ['a latitude out of range', 'near=91,0&meal=lunch', 'query.near'],
    ['a longitude out of range', 'near=0,-180.5&meal=lunch', 'query.near'],
    ['words for coordinates', 'near=here&meal=lunch', 'query.near'],
    ['no coordinates', 'meal=lunch', 'query.near'],
    ['an unknown meal time', 'near=1,1&meal=brunch', 'query.meal'],
    ['a limit of 0', 'near=1,1&limit=0', 'query.limit'],
    ['a limit over 50', 'near=1,1&limit=51', 'query.limit'],
    ['an unknown parameter', 'near=1,1&radius=5', 'query'],
  ])('answers 400 naming the parameter for %s', async (_what, qs, path) => {
    const u = await createUser(api.db);
    const r = await api.request('GET', `/me/recommendations?${qs}`, { token: u.token });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('accepting and dismissing', () => {
  async function shown() {
    const u = await createUser(api.db);
    const p = place();
    const rest = await restaurant(api.db.sql, at(p));
    const m = await meal(api.db.sql, rest);
    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    return { u, p, m, id: r.body.items[0].id as string };
  }

  it('accepts once, takes the same answer again, and refuses the other', async () => {
    const { u, id, m } = await shown();
    const a = await api.request('POST', `/me/recommendations/${id}/accept`, { token: u.token });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ id, meal_id: m, status: 'accepted', meal: 'lunch' });
    expect(a.body.responded_at).toEqual(expect.any(String));
    const again = await api.request('POST', `/me/recommendations/${id}/accept`, { token: u.token });
    expect(again.body).toEqual(a.body);
    const other = await api.request('POST', `/me/recommendations/${id}/dismiss`, { token: u.token });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('recommendation_already_answered');
    const none = await api.request('POST', `/me/recommendations/${randomUUID()}/accept`, { token: u.token });
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('recommendation_not_found');
  });

  it('rests a dismissed meal, and counts it as resting', async () => {
    const { u, p, id, m } = await shown();
    expect((await api.request('POST', `/me/recommendations/${id}/dismiss`, { token: u.token })).status).toBe(
      200,
    );
    const r = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).not.toContain(m);
    expect(r.body.left_out.resting).toBe(1);
    expect(r.body.left_out.reasons).toEqual([expect.objectContaining({ code: 'resting', count: 1 })]);
    // After the rest it comes back.
    await api.db
      .sql`update public.recommendations set responded_at = now() - interval '15 days', shown_at = now() - interval '15 days', created_at = now() - interval '15 days' where id = ${id}`;
    const later = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    expect(later.body.items.map((i: { meal: { id: string } }) => i.meal.id)).toContain(m);
  });
});

describe('POST /me/feedback', () => {
  it('stores the comment only as ciphertext with its key version, and answers it to its author', async () => {
    const u = await createUser(api.db);
    const p = place();
    const m = await meal(api.db.sql, await restaurant(api.db.sql, at(p)));
    const marker = `marker-${randomUUID()}`;
    const r = await api.request('POST', '/me/feedback', {
      token: u.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { meal_id: m, rating: 4, comment: `${marker} too salty for me` },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      meal_id: m,
      rating: 4,
      reaction: false,
      comment: `${marker} too salty for me`,
    });

    const tables = await api.db.sql<{ name: string }[]>`
      select format('%I.%I', schemaname, tablename) as name from pg_tables
      where schemaname in ('public', 'auth', 'health', 'audit')`;
    const hits: string[] = [];
    for (const { name } of tables) {
      const [row] = await api.db.sql.unsafe(
        `select count(*)::int as n from ${name} t where t::text like $1`,
        [`%${marker}%`],
      );
      if ((row as unknown as { n: number }).n > 0) hits.push(name);
    }
    expect(tables.length).toBeGreaterThan(30);
    expect(hits).toEqual([]);
    const [stored] = await api.db.sql`
      select comment_key_version, octet_length(comment_encrypted) > 0 as sealed from public.feedback where id = ${r.body.id}`;
    expect(stored).toEqual({ comment_key_version: 2, sealed: true });
  });

  it('makes one feedback row for a retried request', async () => {
    const u = await createUser(api.db);
    const m = await meal(api.db.sql, await restaurant(api.db.sql, at(place())));
    const key = randomUUID();
    const send = () =>
      api.request('POST', '/me/feedback', {
        token: u.token,
        headers: { 'idempotency-key': key },
        body: { meal_id: m, rating: 5, comment: 'lovely' },
      });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const rows = await api.db.sql`select id from public.feedback where user_id = ${u.id}`;
    expect(rows).toHaveLength(1);
  });

  it('hides a meal the person reacted to for good, flags it for review, and hides it from no one else', async () => {
    const u = await createUser(api.db);
    const other = await createUser(api.db);
    const p = place();
    const rest = await restaurant(api.db.sql, at(p));
    const m = await meal(api.db.sql, rest);
    const shown = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    const rec = shown.body.items[0].id;
    const r = await api.request('POST', '/me/feedback', {
      token: u.token,
      body: { recommendation_id: rec, rating: 1, reaction: true },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ recommendation_id: rec, meal_id: m, reaction: true, comment: null });
    const flags = await api.db
      .sql`select meal_id, reason, resolved_at from public.meal_review_flags where feedback_id = ${r.body.id}`;
    expect(flags).toEqual([{ meal_id: m, reason: 'reaction', resolved_at: null }]);

    // A year on, well past any rest: still hidden, counted under its reason.
    await api.db
      .sql`update public.feedback set created_at = now() - interval '1 year' where id = ${r.body.id}`;
    const later = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    expect(later.body.items).toEqual([]);
    expect(later.body.left_out.reasons).toEqual([expect.objectContaining({ code: 'reaction', count: 1 })]);
    const theirs = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, {
      token: other.token,
    });
    expect(theirs.body.items.map((i: { meal: { id: string } }) => i.meal.id)).toEqual([m]);
  });

  it('rests a meal rated low and lifts a restaurant rated well', async () => {
    const u = await createUser(api.db);
    const p = place();
    const loved = await restaurant(api.db.sql, { ...at(p, 4), name: 'Loved Place' });
    const plain = await restaurant(api.db.sql, at(p, 4));
    const lovedEarlier = await meal(api.db.sql, loved);
    const lovedToday = await meal(api.db.sql, loved);
    const plainToday = await meal(api.db.sql, plain);
    const disliked = await meal(api.db.sql, plain);
    const before = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    const score = (body: { items: { meal: { id: string }; score: number }[] }, id: string) =>
      body.items.find((i) => i.meal.id === id)?.score;
    expect(score(before.body, lovedToday)).toBe(score(before.body, plainToday));

    await api.request('POST', '/me/feedback', { token: u.token, body: { meal_id: lovedEarlier, rating: 5 } });
    await api.request('POST', '/me/feedback', { token: u.token, body: { meal_id: disliked, rating: 2 } });
    const after = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: u.token });
    expect(after.body.items.map((i: { meal: { id: string } }) => i.meal.id)).not.toContain(disliked);
    expect(score(after.body, lovedToday)).toBeGreaterThan(score(after.body, plainToday) as number);
    const lifted = after.body.items.find((i: { meal: { id: string } }) => i.meal.id === lovedToday);
    expect(lifted.reasons).toContainEqual(
      expect.objectContaining({
        code: 'restaurant_well_rated',
        sentence: 'you rated Loved Place 5.0 on average (1 rating)',
      }),
    );
  });

  it.each([
    ['an unknown meal', () => ({ meal_id: randomUUID(), rating: 3 }), 422, 'unknown_meal'],
    [
      'an unknown recommendation',
      () => ({ recommendation_id: randomUUID(), rating: 3 }),
      422,
      'unknown_recommendation',
    ],
    ['a rating of 6', () => ({ meal_id: randomUUID(), rating: 6 }), 400, 'validation_failed'],
    ['neither meal nor recommendation', () => ({ rating: 3 }), 400, 'validation_failed'],
    [
      'a comment over 1000 characters',
      () => ({ meal_id: randomUUID(), rating: 3, comment: 'x'.repeat(1001) }),
      400,
      'validation_failed',
    ],
  ])('refuses %s', async (_what, body, status, code) => {
    const u = await createUser(api.db);
    const r = await api.request('POST', '/me/feedback', { token: u.token, body: body() });
    expect([r.status, r.body.code]).toEqual([status, code]);
  });
});

describe("another person's recommendations and feedback", () => {
  it('can be neither answered nor reviewed, nor seen in a reason', async () => {
    const a = await createUser(api.db);
    const b = await createUser(api.db);
    const p = place();
    const rest = await restaurant(api.db.sql, at(p));
    const m = await meal(api.db.sql, rest);
    const mine = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: a.token });
    const id = mine.body.items[0].id;
    await api.request('POST', '/me/feedback', {
      token: a.token,
      body: { meal_id: m, rating: 5, comment: 'secret' },
    });

    for (const action of ['accept', 'dismiss']) {
      const r = await api.request('POST', `/me/recommendations/${id}/${action}`, { token: b.token });
      expect([action, r.status]).toEqual([action, 404]);
    }
    const fb = await api.request('POST', '/me/feedback', {
      token: b.token,
      body: { recommendation_id: id, rating: 1 },
    });
    expect(fb.body.code).toBe('unknown_recommendation');
    const theirs = await api.request('GET', `/me/recommendations?${near(p)}&meal=lunch`, { token: b.token });
    expect(theirs.body.items[0].id).not.toBe(id);
    expect(JSON.stringify(theirs.body)).not.toMatch(new RegExp(`${id}|${a.id}|secret|well_rated`));
    const [row] = await api.db.sql`select status from public.recommendations where id = ${id}`;
    expect(row?.status).toBe('shown');
  });
});
