import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { catalogueRoutes } from '../../functions/catalogue/routes';
import { importCatalogue } from '../../functions/catalogue/import';
import { transaction } from '../../functions/core/db';
import { asRole } from '../db/fixtures';
import { createUser, repoRoot, useApi } from '../support';

const api = useApi();
const run = promisify(execFile);

const place = (n: number, meals: unknown[] = []) => ({
  name: `Import Place ${n}`,
  address: `${n} Import Way`,
  city: 'Lineville',
  state: 'LV',
  zip_code: '12345',
  country: 'US',
  latitude: 33 + n / 10000,
  longitude: -117,
  time_zone: 'America/Los_Angeles',
  hours: { 'mon-fri': '09:00-21:00' },
  meals,
});
const dish = (name: string, more: object = {}) => ({
  name,
  price: 10.5,
  calories: 500,
  ingredients_complete: true,
  ingredients: [{ name: 'Import peanuts', allergen: 'Peanuts' }, { name: 'Import rice' }],
  health_tags: [{ tag: '#MoodBoost', source: 'nutritionist', confidence: 0.7 }],
  ...more,
});
const jsonl = (lines: unknown[]) =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

async function counts() {
  const [row] = await api.db.sql<{ restaurants: number; meals: number; links: number; audit: number }[]>`
    select (select count(*)::int from public.restaurants) as restaurants,
           (select count(*)::int from public.meals) as meals,
           (select count(*)::int from public.meal_ingredients) as links,
           (select count(*)::int from audit.data_changes) as audit`;
  return row!;
}

describe('catalogue administration', () => {
  it('refuses every administrator route to a user with 403 admin_only, and changes nothing', async () => {
    const user = await createUser(api.db);
    const before = await counts();
    const adminRoutes = catalogueRoutes.filter((r) => r.access === 'admin');
    expect(adminRoutes.length).toBeGreaterThanOrEqual(12);
    for (const route of adminRoutes) {
      const path = route.path.replace(/\{[^}]+\}/g, randomUUID());
      const r = await api.request(route.method, path, {
        token: user.token,
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      expect([route.operationId, r.status, r.body.code]).toEqual([route.operationId, 403, 'admin_only']);
    }
    expect(await counts()).toEqual(before);
  });

  it('row-level security refuses catalogue writes from a user’s transaction even if a route forgot to check', async () => {
    const user = await createUser(api.db);
    await expect(
      asRole(
        api.db.sql,
        'eatsential_write',
        user.id,
        (tx) => tx`insert into public.ingredients (name) values ('Sneaky ingredient')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asRole(api.db.sql, 'eatsential_write', user.id, (tx) => tx`update public.meals set price = 0.01`),
    ).resolves.toMatchObject({ count: 0 });
  });

  it('creates, changes and deactivates restaurants and meals, and audits every change with the administrator', async () => {
    const admin = await createUser(api.db, { role: 'admin' });
    const user = await createUser(api.db);
    const created = await api.request('POST', '/admin/restaurants', {
      token: admin.token,
      body: {
        name: 'Admin Bistro',
        address: '9 Rue Test',
        city: 'Paris',
        state: 'IDF',
        zip_code: '75001',
        country: 'FR',
        latitude: 48.8606,
        longitude: 2.3376,
        time_zone: 'Europe/Paris',
        hours: { daily: '12:00-23:00' },
        cuisine_type: 'French',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Admin Bistro', time_zone: 'Europe/Paris', is_active: true });
    const id = created.body.id as string;

    const dup = await api.request('POST', '/admin/restaurants', {
      token: admin.token,
      body: { ...created.body, id: undefined, open_now: undefined, distance_km: undefined },
    });
    expect([dup.status, dup.body.code]).toEqual([409, 'restaurant_exists']);
    const zone = await api.request('PATCH', `/admin/restaurants/${id}`, {
      token: admin.token,
      body: { time_zone: 'Mars/Olympus_Mons' },
    });
    expect([zone.status, zone.body.code, zone.body.errors[0].path]).toEqual([
      422,
      'unknown_time_zone',
      'body.time_zone',
    ]);

    const meal = await api.request('POST', '/admin/meals', {
      token: admin.token,
      body: { restaurant_id: id, name: 'Croque monsieur', price: 14, ingredients_complete: true },
    });
    expect(meal.status).toBe(201);
    const ing = await api.request('POST', '/admin/ingredients', {
      token: admin.token,
      body: {
        name: 'Gruyere',
        allergen_id: (await api.db.sql`select id from health.allergens where name = 'Milk'`)[0]!.id,
      },
    });
    expect(ing.status).toBe(201);
    const put = await api.request('PUT', `/admin/meals/${meal.body.id}/ingredients/${ing.body.id}`, {
      token: admin.token,
      body: { presence: 'contains' },
    });
    expect(put.body.ingredients).toEqual([
      {
        id: ing.body.id,
        name: 'Gruyere',
        presence: 'contains',
        allergen: { id: expect.any(String), name: 'Milk' },
      },
    ]);
    const [tag] = await api.db.sql`select id from health.health_tags where tag_name = '#BrainFood'`;
    const tagged = await api.request('PUT', `/admin/meals/${meal.body.id}/health-tags/${tag!.id}`, {
      token: admin.token,
      body: { source: 'nutritionist', confidence: 0.9, verified: true },
    });
    expect(tagged.body.health_tags).toMatchObject([{ tag: '#BrainFood', confidence: 0.9, verified: true }]);
    expect(
      (
        await api.request('DELETE', `/admin/meals/${meal.body.id}/health-tags/${tag!.id}`, {
          token: admin.token,
        })
      ).status,
    ).toBe(204);

    const near = () =>
      api
        .request('GET', '/restaurants?near=48.86,2.34&radius_km=5', { token: user.token })
        .then((r) => r.body.items.map((i: { id: string }) => i.id));
    expect(await near()).toContain(id);
    const off = await api.request('PATCH', `/admin/restaurants/${id}`, {
      token: admin.token,
      body: { is_active: false },
    });
    expect([off.status, off.body.is_active]).toEqual([200, false]);
    expect(await near()).not.toContain(id);
    expect((await api.request('GET', `/restaurants/${id}`, { token: user.token })).status).toBe(404);
    expect((await api.request('GET', `/restaurants/${id}`, { token: admin.token })).body.is_active).toBe(
      false,
    );

    const audit = await api.db.sql<
      { table_name: string; operation: string; user_id: string; db_role: string }[]
    >`
      select table_name, operation, user_id, db_role from audit.data_changes
      where user_id = ${admin.id} order by changed_at, id`;
    expect(audit.every((a) => a.db_role === 'eatsential_write')).toBe(true);
    expect(audit.map((a) => `${a.operation} ${a.table_name}`).sort()).toEqual(
      [
        'INSERT restaurants',
        'INSERT meals',
        'INSERT ingredients',
        'INSERT meal_ingredients',
        'INSERT food_tags',
        'DELETE food_tags',
        'UPDATE restaurants',
      ].sort(),
    );
  });

  it('validates administrator bodies, naming the field', async () => {
    const admin = await createUser(api.db, { role: 'admin' });
    const r = await api.request('POST', '/admin/meals', {
      token: admin.token,
      body: { restaurant_id: randomUUID(), name: 'Free lunch', price: -1 },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('body.price');
    const unknown = await api.request('POST', '/admin/meals', {
      token: admin.token,
      body: { restaurant_id: randomUUID(), name: 'Free lunch', price: 1 },
    });
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_restaurant']);
  });
});

describe('catalogue import', () => {
  it('reports each bad line with its number and reason and imports nothing from that file', async () => {
    const admin = await createUser(api.db, { role: 'admin' });
    const before = await counts();
    const file = jsonl([
      place(1, [dish('Good bowl')]),
      place(2, [dish('Cheap bowl', { price: -3 })]),
      place(3, [dish('Odd bowl', { ingredients: [{ name: 'Moon dust', allergen: 'Moonium' }] })]),
      place(4, [dish('Twice'), dish('Twice')]),
      '{ not json',
      '',
      place(1, []),
    ]);
    const r = await api.request('POST', '/admin/catalogue/imports', {
      token: admin.token,
      body: { jsonl: file },
    });
    expect([r.status, r.body.code]).toEqual([422, 'invalid_catalogue']);
    const messages = r.body.errors.map((e: { message: string }) => e.message);
    expect(messages).toEqual([
      expect.stringMatching(/^line 2: a price is at least 0.01/),
      'line 3: unknown allergen "Moonium"',
      'line 4: duplicate meal "Twice" in this restaurant',
      'line 5: not valid JSON',
      'line 7: duplicate restaurant: line 1 has the same name and address',
    ]);
    expect(r.body.errors[0].path).toBe('body.jsonl.2.meals.0.price');
    expect(await counts()).toEqual(before);

    const skipped = await api.request('POST', '/admin/catalogue/imports', {
      token: admin.token,
      body: { jsonl: file, skip_invalid: true },
    });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({
      imported: true,
      lines: 6,
      changes: { restaurants: { inserted: 1 }, meals: { inserted: 1 }, meal_ingredients: { inserted: 2 } },
    });
    expect(skipped.body.invalid.map((l: { line: number }) => l.line)).toEqual([2, 3, 4, 5, 7]);
  });

  it('npm run catalogue:import reports the bad line and exits 1 without importing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, jsonl([place(10, [dish('Fine')]), place(11, [dish('Broken', { price: 0 })])]));
    const before = await counts();
    const failed = await run('npx', ['tsx', 'functions/catalogue/cli.ts', file], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: api.db.url },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain(
      'line 2: meals.0.price: a price is at least 0.01',
    );
    expect(await counts()).toEqual(before);

    const good = join(dir, 'good.jsonl');
    writeFileSync(good, jsonl([place(10, [dish('Fine')])]));
    const ok = await run('npx', ['tsx', 'functions/catalogue/cli.ts', good], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: api.db.url },
    });
    expect(ok.stdout).toContain('meals: 1 inserted, 0 updated, 0 removed');
  }, 240_000); // two tsx start-ups

  it('imports 10,000 meals, and a second import of the same file changes nothing', async () => {
    const lines = Array.from({ length: 200 }, (_r, i) =>
      place(
        1000 + i,
        Array.from({ length: 50 }, (_m, j) => dish(`Meal ${i}-${j}`, { price: 5 + (j % 20) })),
      ),
    );
    const file = jsonl(lines);
    const sql = api.db.connect();
    const first = await transaction(sql, { role: 'eatsential_admin' }, (tx) => importCatalogue(tx, file));
    expect(first.invalid).toEqual([]);
    expect(first.changes.meals).toEqual({ inserted: 10000, updated: 0, deleted: 0 });
    expect(first.changes.meal_ingredients.inserted).toBe(20000);
    const before = await counts();
    const [stamp] = await api.db.sql`select max(updated_at) as at from public.meals`;

    const second = await transaction(sql, { role: 'eatsential_admin' }, (tx) => importCatalogue(tx, file));
    for (const c of Object.values(second.changes)) expect(c).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(await counts()).toEqual(before); // not a row more, not one audit row more
    expect((await api.db.sql`select max(updated_at) as at from public.meals`)[0]).toEqual(stamp);

    // a changed line changes exactly what changed
    lines[0]!.meals[0] = dish('Meal 0-0', { price: 99, ingredients: [{ name: 'Import rice' }] });
    const third = await transaction(sql, { role: 'eatsential_admin' }, (tx) =>
      importCatalogue(tx, jsonl([lines[0]])),
    );
    expect(third.changes.meals).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    expect(third.changes.meal_ingredients).toEqual({ inserted: 0, updated: 0, deleted: 1 });
  }, 600_000);
});
