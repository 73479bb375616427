import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Tx } from '../core/db';
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from '../core/errors';
import { Reply, type Operations } from '../core/operation';
import type { Caller } from '../core/tokens';
import { importCatalogue } from './import';
import * as q from './queries';
import { safetyOf } from './safety';

// ---- cursors ------------------------------------------------------------------------------------

/**
 * A cursor is the keyset of the last item (a distance or a score, and the id) and a digest of the
 * query it belongs to: a cursor tampered with, or sent with other filters, is refused.
 */
const cursorShape = z.strictObject({ k: z.number().finite(), id: z.uuid(), q: z.string().length(16) });

const digest = (query: Record<string, unknown>) => {
  const { cursor: _c, limit: _l, ...rest } = query;
  const canonical = Object.keys(rest)
    .sort()
    .map((k) => [k, rest[k]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
};

const encodeCursor = (k: number, id: string, query: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ k, id, q: digest(query) })).toString('base64url');

function decodeCursor(query: Record<string, unknown>, range: { min: number; max: number }) {
  const cursor = query.cursor;
  if (typeof cursor !== 'string') return null;
  const refuse = () =>
    new BadRequestError('The cursor is not one this API issued for this query', {
      code: 'invalid_cursor',
      errors: [{ path: 'query.cursor', message: 'not a cursor of this query' }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let parsed;
  try {
    parsed = cursorShape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw refuse();
  }
  if (parsed.q !== digest(query) || parsed.k < range.min || parsed.k > range.max) throw refuse();
  return { k: parsed.k, id: parsed.id };
}

// ---- views ----------------------------------------------------------------------------------------

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function restaurantView({ chord, ...r }: q.RestaurantRow) {
  return { ...r, distance_km: chord === null ? null : round(q.kmOf(chord), 3) };
}

function mealView(m: q.MealRow, safety: ReturnType<Awaited<ReturnType<typeof safetyOf>>>) {
  const { calories, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, ...rest } = m;
  return { ...rest, nutrition: { calories, protein_g, carbs_g, fat_g, fiber_g, sodium_mg }, safety };
}

const notFound = (what: string) =>
  new NotFoundError(`No such ${what}`, { code: `${what.replace(/ /g, '_')}_not_found` });

const isAdmin = (caller: Caller) => caller.role === 'admin';

/** Meals by id with the caller's verdict; users see only meals of active restaurants. */
async function mealsById(tx: Tx, caller: Caller, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await q.mealsWhere(
    tx,
    tx`m.id = any(${[...ids]}::uuid[]) ${isAdmin(caller) ? tx`` : tx`and r.is_active`}`,
  );
  const verdict = await safetyOf(
    tx,
    caller.userId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => mealView(r, verdict(r.id)));
}

async function mealOf(tx: Tx, caller: Caller, id: string) {
  const [meal] = await mealsById(tx, caller, [id]);
  if (!meal) throw notFound('meal');
  return meal;
}

async function restaurantRow(tx: Tx, id: string) {
  const [row] = await tx<q.RestaurantRow[]>`
    select r.id, r.name, r.cuisine_type, r.address, r.city, r.state, r.zip_code, r.country,
           r.latitude::float8 as latitude, r.longitude::float8 as longitude, r.time_zone, r.hours,
           public.opening_hours_open_at(r.hours, pg_catalog.now() at time zone r.time_zone) as open_now,
           r.phone, r.website, r.rating::float8 as rating, r.price_range, r.is_active, null::float8 as chord
    from public.restaurants r where r.id = ${id}`;
  if (!row) throw notFound('restaurant');
  return restaurantView(row);
}

const unprocessable = (code: string, path: string, detail: string) =>
  new UnprocessableError(detail, { code, errors: [{ path, message: detail }] });

async function checkTimeZone(tx: Tx, zone: string | undefined) {
  if (zone === undefined || zone === 'UTC') return;
  const [row] = await tx`select 1 from pg_catalog.pg_timezone_names where name = ${zone}`;
  if (!row) throw unprocessable('unknown_time_zone', 'body.time_zone', `${zone} is not a known time zone`);
}

async function checkAllergen(tx: Tx, allergenId: string | null | undefined) {
  if (!allergenId) return;
  const [row] = await tx`select 1 from health.allergens where id = ${allergenId}`;
  if (!row) throw unprocessable('unknown_allergen', 'body.allergen_id', 'No such allergen');
}

/** Columns an administrator may set, with their SQL casts: nothing else reaches the statement. */
const restaurantColumns = [
  'name',
  'cuisine_type',
  'address',
  'city',
  'state',
  'zip_code',
  'country',
  'latitude',
  'longitude',
  'time_zone',
  'hours',
  'phone',
  'website',
  'rating',
  'price_range',
  'is_active',
] as const;
const mealColumns = [
  'name',
  'description',
  'category',
  'price',
  'calories',
  'protein_g',
  'carbs_g',
  'fat_g',
  'fiber_g',
  'sodium_mg',
  'image_url',
  'is_available',
  'ingredients_complete',
] as const;

function pick<K extends string>(body: Record<string, unknown>, keys: readonly K[]) {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

export const operations: Operations<'catalogue'> = {
  // ---- reading -------------------------------------------------------------------------------------
  async listNearbyRestaurants({ tx, query }) {
    const after = decodeCursor(query, { min: 0, max: 2 });
    const rows = await q.nearbyRestaurants(tx, {
      lat: query.near.lat,
      lon: query.near.lon,
      radiusKm: query.radius_km,
      cuisine: query.cuisine,
      priceMax: query.price_max,
      openNow: query.open_now,
      at: query.open_at ?? null,
      after: after && { chord: after.k, id: after.id },
      limit: query.limit,
    });
    const kept = rows.slice(0, query.limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map(restaurantView),
      next_cursor:
        rows.length > query.limit && last ? encodeCursor(last.chord as number, last.id, query) : null,
    };
  },

  async getRestaurant({ tx, params, query, caller }) {
    const row = await q.restaurant(tx, params.id, query.near, isAdmin(caller));
    if (!row) throw notFound('restaurant');
    return restaurantView(row);
  },

  async listRestaurantMeals({ tx, params, caller }) {
    const row = await q.restaurant(tx, params.id, undefined, isAdmin(caller));
    if (!row) throw notFound('restaurant');
    const rows = await q.mealsWhere(
      tx,
      tx`m.restaurant_id = ${params.id} ${isAdmin(caller) ? tx`` : tx`and m.is_available`}`,
      tx`m.category nulls last, m.name, m.id`,
    );
    const verdict = await safetyOf(
      tx,
      caller.userId,
      rows.map((r) => r.id),
    );
    return { items: rows.map((r) => mealView(r, verdict(r.id))) };
  },

  async searchMeals({ tx, query, caller }) {
    const after = decodeCursor(query, { min: 0, max: 1e6 });
    const hits = await q.searchMeals(tx, {
      q: query.q,
      near: query.near,
      after: after && { score: after.k, id: after.id },
      limit: query.limit,
    });
    const kept = hits.slice(0, query.limit);
    const meals = new Map(
      (
        await mealsById(
          tx,
          caller,
          kept.map((h) => h.id),
        )
      ).map((m) => [m.id, m]),
    );
    const last = kept[kept.length - 1];
    return {
      items: kept.flatMap((h) => {
        const meal = meals.get(h.id);
        if (!meal) return [];
        return [
          {
            ...meal,
            restaurant: { id: meal.restaurant_id, name: h.restaurant_name, city: h.restaurant_city },
            distance_km: h.chord === null ? null : round(q.kmOf(h.chord), 3),
            relevance: h.relevance,
          },
        ];
      }),
      next_cursor: hits.length > query.limit && last ? encodeCursor(last.score, last.id, query) : null,
    };
  },

  async getMeal({ tx, params, caller }) {
    return mealOf(tx, caller, params.id);
  },

  // ---- administration ------------------------------------------------------------------------------
  async createRestaurant({ tx, body }) {
    await checkTimeZone(tx, body.time_zone);
    const values = pick(body, restaurantColumns);
    try {
      const [row] = await tx<{ id: string }[]>`
        insert into public.restaurants ${tx(values as Record<string, string>)} returning id`;
      return new Reply(201, await restaurantRow(tx, (row as { id: string }).id), {
        location: `/restaurants/${(row as { id: string }).id}`,
      });
    } catch (e) {
      throw restaurantConflict(e);
    }
  },

  async updateRestaurant({ tx, params, body }) {
    await checkTimeZone(tx, body.time_zone);
    const values = pick(body, restaurantColumns);
    try {
      const [row] = await tx`
        update public.restaurants set ${tx(values as Record<string, string>)} where id = ${params.id} returning id`;
      if (!row) throw notFound('restaurant');
    } catch (e) {
      throw restaurantConflict(e);
    }
    return restaurantRow(tx, params.id);
  },

  async createMeal({ tx, body, caller }) {
    const [restaurant] = await tx`select 1 from public.restaurants where id = ${body.restaurant_id}`;
    if (!restaurant) throw unprocessable('unknown_restaurant', 'body.restaurant_id', 'No such restaurant');
    const values = { restaurant_id: body.restaurant_id, ...pick(body, mealColumns) };
    try {
      const [row] = await tx<{ id: string }[]>`
        insert into public.meals ${tx(values as Record<string, string>)} returning id`;
      const id = (row as { id: string }).id;
      return new Reply(201, await mealOf(tx, caller, id), { location: `/meals/${id}` });
    } catch (e) {
      throw mealConflict(e);
    }
  },

  async updateMeal({ tx, params, body, caller }) {
    try {
      const [row] = await tx`
        update public.meals set ${tx(pick(body, mealColumns) as Record<string, string>)}
        where id = ${params.id} returning id`;
      if (!row) throw notFound('meal');
    } catch (e) {
      throw mealConflict(e);
    }
    return mealOf(tx, caller, params.id);
  },

  async listIngredients({ tx, query }) {
    const pattern = query.q === undefined ? null : `%${query.q.replace(/[\\%_]/g, '\\$&')}%`;
    return { items: await ingredientsWhere(tx, pattern === null ? tx`true` : tx`i.name ilike ${pattern}`) };
  },

  async createIngredient({ tx, body }) {
    await checkAllergen(tx, body.allergen_id);
    try {
      const [row] = await tx<{ id: string }[]>`
        insert into public.ingredients (name, allergen_id) values (${body.name}, ${body.allergen_id}) returning id`;
      const [item] = await ingredientsWhere(tx, tx`i.id = ${(row as { id: string }).id}`);
      return new Reply(201, item);
    } catch (e) {
      throw ingredientConflict(e);
    }
  },

  async updateIngredient({ tx, params, body }) {
    await checkAllergen(tx, body.allergen_id);
    try {
      const [row] = await tx`
        update public.ingredients set ${tx(pick(body, ['name', 'allergen_id'] as const) as Record<string, string>)}
        where id = ${params.id} returning id`;
      if (!row) throw notFound('ingredient');
    } catch (e) {
      throw ingredientConflict(e);
    }
    const [item] = await ingredientsWhere(tx, tx`i.id = ${params.id}`);
    return item;
  },

  async putMealIngredient({ tx, params, body, caller }) {
    const [meal] = await tx`select 1 from public.meals where id = ${params.id}`;
    if (!meal) throw notFound('meal');
    const [ingredient] = await tx`select 1 from public.ingredients where id = ${params.ingredientId}`;
    if (!ingredient) throw notFound('ingredient');
    await tx`
      insert into public.meal_ingredients (meal_id, ingredient_id, presence)
      values (${params.id}, ${params.ingredientId}, ${body.presence})
      on conflict on constraint meal_ingredients_pkey do update set presence = excluded.presence
          where meal_ingredients.presence is distinct from excluded.presence`;
    return mealOf(tx, caller, params.id);
  },

  async removeMealIngredient({ tx, params }) {
    const r = await tx`
      delete from public.meal_ingredients where meal_id = ${params.id} and ingredient_id = ${params.ingredientId}`;
    if (r.count === 0) throw notFound('meal ingredient');
  },

  async putFoodTag({ tx, params, body, caller }) {
    const [meal] = await tx`select 1 from public.meals where id = ${params.id}`;
    if (!meal) throw notFound('meal');
    const [tag] = await tx`select 1 from health.health_tags where id = ${params.tagId}`;
    if (!tag) throw notFound('health tag');
    await tx`
      insert into health.food_tags (food_id, tag_id, source, confidence_score, verified)
      values (${params.id}, ${params.tagId}, ${body.source}, ${body.confidence}, ${body.verified})
      on conflict on constraint uq_food_tag do update set
          source = excluded.source, confidence_score = excluded.confidence_score, verified = excluded.verified
      where (food_tags.source, food_tags.confidence_score, food_tags.verified)
            is distinct from (excluded.source, excluded.confidence_score, excluded.verified)`;
    return mealOf(tx, caller, params.id);
  },

  async removeFoodTag({ tx, params }) {
    const r =
      await tx`delete from health.food_tags where food_id = ${params.id} and tag_id = ${params.tagId}`;
    if (r.count === 0) throw notFound('food tag');
  },

  async importCatalogue({ tx, body }) {
    const report = await importCatalogue(tx, body.jsonl, { skipInvalid: body.skip_invalid });
    if (!report.imported) {
      throw new UnprocessableError(
        `${report.invalid.length} line(s) of the catalogue are not valid; nothing was imported`,
        {
          code: 'invalid_catalogue',
          errors: report.invalid.flatMap((l) =>
            l.errors.map((e) => ({
              path: ['body', 'jsonl', String(l.line), e.path].filter(Boolean).join('.'),
              message: `line ${l.line}: ${e.message}`,
            })),
          ),
        },
      );
    }
    return report;
  },
};

function ingredientsWhere(tx: Tx, where: ReturnType<Tx>) {
  return tx<
    { id: string; name: string; allergen: { id: string; name: string } | null; updated_at: string }[]
  >`
    select i.id, i.name,
           case when a.id is null then null else json_build_object('id', a.id, 'name', a.name) end as allergen,
           to_char(i.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at
    from public.ingredients i
    left join health.allergens a on a.id = i.allergen_id
    where ${where}
    order by i.name
    limit 500`;
}

const conflictOn = (constraint: string, code: string, path: string, detail: string) => (e: unknown) =>
  (e as { constraint_name?: string }).constraint_name === constraint
    ? new ConflictError(detail, { code, errors: [{ path, message: detail }] })
    : e;
const restaurantConflict = conflictOn(
  'restaurants_natural_key',
  'restaurant_exists',
  'body.name',
  'A restaurant of this name is at this address already',
);
const mealConflict = conflictOn(
  'meals_restaurant_id_name_key',
  'meal_exists',
  'body.name',
  'This restaurant has a meal of this name already',
);
const ingredientConflict = conflictOn(
  'ingredients_name_key',
  'ingredient_exists',
  'body.name',
  'An ingredient of this name exists already',
);
