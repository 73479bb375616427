import type { Tx } from '../core/db';

/** Mean Earth radius (IUGG), as public.distance_km uses it. */
export const earthRadiusKm = 6371.0088;

/** Chord between two unit vectors this far apart on the sphere (what `cube <->` measures). */
export const chordOf = (km: number) => 2 * Math.sin(Math.min(km / earthRadiusKm, Math.PI) / 2);
export const kmOf = (chord: number) => 2 * earthRadiusKm * Math.asin(Math.min(1, chord / 2));

export interface RestaurantRow {
  id: string;
  name: string;
  cuisine_type: string | null;
  address: string;
  city: string;
  state: string;
  zip_code: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  time_zone: string | null;
  hours: Record<string, string> | null;
  open_now: boolean | null;
  phone: string | null;
  website: string | null;
  rating: number | null;
  price_range: number | null;
  is_active: boolean;
  chord: number | null;
}

const restaurantColumns = (tx: Tx) => tx`
  r.id, r.name, r.cuisine_type, r.address, r.city, r.state, r.zip_code, r.country,
  r.latitude::float8 as latitude, r.longitude::float8 as longitude, r.time_zone, r.hours,
  r.phone, r.website, r.rating::float8 as rating, r.price_range, r.is_active`;

export interface NearbyFilter {
  lat: number;
  lon: number;
  radiusKm: number;
  cuisine?: string;
  priceMax?: number;
  openNow?: boolean;
  at: string | null;
  after: { chord: number; id: string } | null;
  limit: number;
}

/**
 * Active restaurants within the radius, nearest first by great-circle distance: a GiST KNN scan of
 * `position` (unit vectors; chord order is great-circle order), bounded by the box around the
 * circle. The keyset is (chord, id). PostgreSQL 15 cannot add an id tie-break on top of a KNN scan
 * (no incremental sort there), so the scan orders by distance alone and ties are settled here: when
 * the last row of a page ties with the next, the whole tie group is fetched and ordered by id.
 */
export async function nearbyRestaurants(tx: Tx, f: NearbyFilter) {
  const rows = await nearbyScan(tx, f, null);
  const byKey = (a: RestaurantRow, b: RestaurantRow) =>
    (a.chord as number) - (b.chord as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  rows.sort(byKey);
  const last = rows[f.limit - 1];
  const next = rows[f.limit];
  if (!last || !next || last.chord !== next.chord) return rows;
  const ties = await nearbyScan(tx, f, last.chord as number);
  return [...rows.filter((r) => (r.chord as number) < (last.chord as number)), ...ties.sort(byKey)];
}

function nearbyScan(tx: Tx, f: NearbyFilter, tie: number | null) {
  const origin = tx`public.earth_position(${f.lat}::float8, ${f.lon}::float8)`;
  const chord = chordOf(f.radiusKm);
  const at = tx`coalesce(${f.at}::timestamptz, pg_catalog.now())`;
  return tx<RestaurantRow[]>`
    select ${restaurantColumns(tx)},
           public.opening_hours_open_at(r.hours, ${at} at time zone r.time_zone) as open_now,
           r.position <-> ${origin} as chord
    from public.restaurants r
    where r.is_active
      and r.position <@ public.cube_enlarge(${origin}, ${tie ?? chord}::float8, 3)
      and r.position <-> ${origin} <= ${chord}::float8
      ${tie === null ? tx`` : tx`and r.position <-> ${origin} = ${tie}::float8`}
      ${f.cuisine === undefined ? tx`` : tx`and lower(r.cuisine_type) = lower(${f.cuisine})`}
      ${f.priceMax === undefined ? tx`` : tx`and r.price_range <= ${f.priceMax}`}
      ${
        f.openNow === undefined
          ? tx``
          : tx`and coalesce(public.opening_hours_open_at(r.hours, ${at} at time zone r.time_zone), false) = ${f.openNow}`
      }
      ${
        f.after === null
          ? tx``
          : tx`and (r.position <-> ${origin} > ${f.after.chord}::float8
                    or (r.position <-> ${origin} = ${f.after.chord}::float8 and r.id > ${f.after.id}::uuid))`
      }
    order by r.position <-> ${origin}
    ${tie === null ? tx`limit ${f.limit + 1}` : tx``}`;
}

/** One restaurant; inactive ones only for administrators. */
export async function restaurant(
  tx: Tx,
  id: string,
  near: { lat: number; lon: number } | undefined,
  includeInactive: boolean,
) {
  const [row] = await tx<(RestaurantRow & { meal_count: number })[]>`
    select ${restaurantColumns(tx)},
           public.opening_hours_open_at(r.hours, pg_catalog.now() at time zone r.time_zone) as open_now,
           ${near ? tx`r.position <-> public.earth_position(${near.lat}::float8, ${near.lon}::float8)` : tx`null::float8`} as chord,
           (select count(*)::int from public.meals m where m.restaurant_id = r.id and m.is_available) as meal_count
    from public.restaurants r
    where r.id = ${id} ${includeInactive ? tx`` : tx`and r.is_active`}`;
  return row;
}

export interface MealRow {
  id: string;
  restaurant_id: string;
  name: string;
  description: string | null;
  category: string | null;
  price: number;
  image_url: string | null;
  calories: number | null;
  protein_g: number | null;
  carbs_g: number | null;
  fat_g: number | null;
  fiber_g: number | null;
  sodium_mg: number | null;
  is_available: boolean;
  ingredients_complete: boolean;
  ingredients: {
    id: string;
    name: string;
    presence: 'contains' | 'may_contain';
    allergen: { id: string; name: string } | null;
  }[];
  health_tags: {
    id: string;
    tag: string;
    category: string;
    source: string;
    confidence: number;
    verified: boolean;
  }[];
}

/** Meals with their nutrition, ingredients (allergens marked) and health tags, in one statement. */
export function mealsWhere(tx: Tx, where: ReturnType<Tx>, order: ReturnType<Tx> = tx`m.id`) {
  return tx<MealRow[]>`
    select m.id, m.restaurant_id, m.name, m.description, m.category, m.price::float8 as price, m.image_url,
           m.calories, m.protein_g::float8 as protein_g, m.carbs_g::float8 as carbs_g, m.fat_g::float8 as fat_g,
           m.fiber_g::float8 as fiber_g, m.sodium_mg, m.is_available, m.ingredients_complete,
           coalesce((
               select json_agg(json_build_object(
                          'id', i.id, 'name', i.name, 'presence', mi.presence,
                          'allergen', case when a.id is null then null else json_build_object('id', a.id, 'name', a.name) end)
                      order by mi.presence, i.name)
               from public.meal_ingredients mi
               join public.ingredients i on i.id = mi.ingredient_id
               left join health.allergens a on a.id = i.allergen_id
               where mi.meal_id = m.id
           ), '[]'::json) as ingredients,
           coalesce((
               select json_agg(json_build_object(
                          'id', t.id, 'tag', t.tag_name, 'category', t.category, 'source', ft.source,
                          'confidence', ft.confidence_score::float8, 'verified', ft.verified)
                      order by t.tag_name)
               from health.food_tags ft
               join health.health_tags t on t.id = ft.tag_id
               where ft.food_id = m.id
           ), '[]'::json) as health_tags
    from public.meals m
    join public.restaurants r on r.id = m.restaurant_id
    where ${where}
    order by ${order}`;
}

export interface HitRow {
  id: string;
  restaurant_name: string;
  restaurant_city: string;
  relevance: number;
  chord: number | null;
  score: number;
}

/**
 * Full-text hits (GIN on meals.search_vector), available meals of active restaurants, ranked by
 * relevance divided by (1 + km / 5) when a position is given: the same words 5 km away count half.
 * Keyset (score, id).
 */
export function searchMeals(
  tx: Tx,
  f: {
    q: string;
    near: { lat: number; lon: number } | undefined;
    after: { score: number; id: string } | null;
    limit: number;
  },
) {
  const chord = f.near
    ? tx`r.position <-> public.earth_position(${f.near.lat}::float8, ${f.near.lon}::float8)`
    : tx`null::float8`;
  return tx<HitRow[]>`
    select * from (
        select m.id, r.name as restaurant_name, r.city as restaurant_city, h.relevance, h.chord,
               h.relevance / (1 + coalesce(2 * ${earthRadiusKm}::float8 * asin(least(1, h.chord / 2)), 0) / 5) as score
        from public.meals m
        join public.restaurants r on r.id = m.restaurant_id
        cross join lateral (
            select pg_catalog.ts_rank_cd(m.search_vector, pg_catalog.websearch_to_tsquery('english', ${f.q}))::float8 as relevance,
                   ${chord} as chord
        ) h
        where m.search_vector @@ pg_catalog.websearch_to_tsquery('english', ${f.q})
          and m.is_available and r.is_active
    ) s
    ${f.after === null ? tx`` : tx`where s.score < ${f.after.score}::float8 or (s.score = ${f.after.score}::float8 and s.id > ${f.after.id}::uuid)`}
    order by s.score desc, s.id
    limit ${f.limit + 1}`;
}
