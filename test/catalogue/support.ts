import { randomUUID } from 'node:crypto';
import type { Sql } from '../../functions/core/db';

export interface PlaceOptions {
  lat: number;
  lon: number;
  name?: string;
  timeZone?: string | null;
  hours?: Record<string, string> | null;
  cuisine?: string | null;
  priceRange?: number | null;
  active?: boolean;
}

/** A restaurant made directly in the database (as its owner); returns its id. */
export async function addRestaurant(sql: Sql, o: PlaceOptions): Promise<string> {
  const id = randomUUID();
  await sql`
    insert into public.restaurants
        (id, name, address, city, state, zip_code, latitude, longitude, time_zone, hours, cuisine_type, price_range, is_active)
    values (${id}, ${o.name ?? `Place ${id.slice(0, 8)}`}, ${`${id.slice(0, 4)} Test St`}, 'Testville', 'TS', '00000',
            ${o.lat}, ${o.lon}, ${o.timeZone === undefined ? 'UTC' : o.timeZone},
            ${o.hours === undefined ? null : o.hours === null ? null : sql.json(o.hours)},
            ${o.cuisine ?? null}, ${o.priceRange ?? null}, ${o.active ?? true})`;
  return id;
}

/** Great-circle distance in km (haversine, the mean radius public.distance_km uses). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = (d: number) => (d * Math.PI) / 180;
  const a =
    Math.sin(r(lat2 - lat1) / 2) ** 2 +
    Math.cos(r(lat1)) * Math.cos(r(lat2)) * Math.sin(r(lon2 - lon1) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A seeded pseudo-random generator (mulberry32): failures replay. */
export function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds to the 8 decimals restaurants store, so the test's brute force sees the stored point. */
export const stored = (x: number) => Math.round(x * 1e8) / 1e8;
