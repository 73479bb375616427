import { createUser, useApi } from '../support';
import { addRestaurant, haversineKm, random, stored } from './support';

const api = useApi();

interface Place {
  id: string;
  lat: number;
  lon: number;
}

const wrap = (lon: number) => (lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon);

/** Regions where planar degrees lie: across the antimeridian, at both poles, and an ordinary city. */
const regions: { name: string; point: (rnd: () => number) => [number, number] }[] = [
  { name: 'antimeridian at the equator', point: (rnd) => [(rnd() - 0.5) * 3, wrap(180 + (rnd() - 0.5) * 3)] },
  { name: 'antimeridian at 65N', point: (rnd) => [65 + (rnd() - 0.5) * 2, wrap(180 + (rnd() - 0.5) * 8)] },
  { name: 'north pole', point: (rnd) => [88.4 + rnd() * 1.6, (rnd() - 0.5) * 360] },
  { name: 'south pole', point: (rnd) => [-90 + rnd() * 1.6, (rnd() - 0.5) * 360] },
  { name: 'Seattle', point: (rnd) => [47.6 + (rnd() - 0.5) * 2, -122.3 + (rnd() - 0.5) * 3] },
];

describe('GET /restaurants: nearest first', () => {
  const places: Place[] = [];
  let token = '';

  beforeAll(async () => {
    token = (await createUser(api.db)).token;
    const rnd = random(20261202);
    for (const region of regions) {
      for (let i = 0; i < 80; i++) {
        const [lat, lon] = region.point(rnd).map(stored) as [number, number];
        places.push({ id: await addRestaurant(api.db.sql, { lat, lon }), lat, lon });
      }
    }
  });

  async function all(lat: number, lon: number, radius: number, limit: number) {
    const items: { id: string; distance_km: number }[] = [];
    let cursor: string | null = null;
    do {
      const r = await api.request(
        'GET',
        `/restaurants?near=${lat},${lon}&radius_km=${radius}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect(r.status).toBe(200);
      items.push(...r.body.items);
      cursor = r.body.next_cursor;
    } while (cursor !== null);
    return items;
  }

  it('equals a brute-force great-circle order for 100 random points, near the antimeridian and the poles too', async () => {
    const rnd = random(7);
    let compared = 0;
    for (const region of regions) {
      for (let i = 0; i < 20; i++) {
        const [lat, lon] = region.point(rnd).map((x) => Math.round(x * 1e6) / 1e6) as [number, number];
        const expected = places
          .map((p) => ({ id: p.id, km: haversineKm(lat, lon, p.lat, p.lon) }))
          .filter((p) => p.km <= 200)
          .sort((a, b) => a.km - b.km || a.id.localeCompare(b.id));
        const got = await all(lat, lon, 200, 100);
        expect(got.map((g) => g.id)).toEqual(expected.map((e) => e.id));
        got.forEach((g, k) => expect(Math.abs(g.distance_km - (expected[k]?.km ?? NaN))).toBeLessThan(0.001));
        compared += expected.length;
      }
    }
    // the regions are dense enough that the comparison covers thousands of answers, not empty lists
    expect(compared).toBeGreaterThan(3000);
  }, 300_000);

  it('pages without gaps or repeats whatever the page size', async () => {
    const whole = await all(0, 180, 200, 100);
    const small = await all(0, 180, 200, 7);
    expect(small.map((s) => s.id)).toEqual(whole.map((w) => w.id));
    expect(new Set(small.map((s) => s.id)).size).toBe(small.length);
  });

  it('orders restaurants at the same distance by id, across page boundaries', async () => {
    // five in one building and three on the same parallel round the pole: equal distances
    const same = [];
    for (let i = 0; i < 5; i++) same.push(await addRestaurant(api.db.sql, { lat: -45, lon: 100 }));
    const ring = [];
    for (const lon of [0, 120, -120]) ring.push(await addRestaurant(api.db.sql, { lat: -89.9, lon }));
    for (const limit of [1, 2, 3]) {
      expect((await all(-45, 100, 1, limit)).map((i) => i.id)).toEqual(same.sort());
    }
    const pole = await all(-90, 0, 12, 2);
    expect(pole.map((p) => p.id)).toEqual(expect.arrayContaining(ring));
    expect(new Set(pole.map((p) => p.id)).size).toBe(pole.length);
    const distances = pole.map((p) => p.distance_km);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
  });

  it('orders through the GiST index on position (KNN scan)', async () => {
    const plan = await api.db.sql.begin(async (tx) => {
      // Planner costs on a few hundred rows vary by version; what matters is that the index can
      // hand rows over in distance order (with sorting disabled, only a KNN scan avoids a Sort).
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_sort = off`;
      return tx<{ 'QUERY PLAN': string }[]>`
        explain select id from public.restaurants r
        where r.is_active and r.position <@ public.cube_enlarge(public.earth_position(0, 180), 0.03, 3)
        order by r.position <-> public.earth_position(0, 180) limit 21`;
    });
    const text = plan.map((p) => p['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan using restaurants_position_idx/);
    expect(text).toMatch(/Order By: \("position" <-> /);
    expect(text).not.toMatch(/^\s*->\s+Sort\b/m);
  });

  it('filters by cuisine and price and leaves out inactive restaurants', async () => {
    const thai = await addRestaurant(api.db.sql, { lat: 10, lon: 10, cuisine: 'Thai', priceRange: 2 });
    const dear = await addRestaurant(api.db.sql, { lat: 10.01, lon: 10, cuisine: 'Thai', priceRange: 4 });
    await addRestaurant(api.db.sql, { lat: 10.02, lon: 10, cuisine: 'Thai', priceRange: 1, active: false });
    await addRestaurant(api.db.sql, { lat: 10.03, lon: 10, cuisine: 'Pizza', priceRange: 1 });
    const ids = async (query: string) =>
      (await api.request('GET', `/restaurants?near=10,10${query}`, { token })).body.items.map(
        (i: { id: string }) => i.id,
      );
    expect(await ids('&cuisine=thai')).toEqual([thai, dear]);
    expect(await ids('&cuisine=Thai&price_max=3')).toEqual([thai]);
    expect(await ids('&radius_km=1')).toEqual([thai]);
    expect((await ids('&radius_km=5')).length).toBe(3); // 0, 1.1 and 3.3 km; the inactive one is left out
  });
});

describe('GET /restaurants?open_now: in each restaurant’s own time zone', () => {
  let token = '';
  const at = (instant: string, more = '') =>
    api
      .request('GET', `/restaurants?near=-30,-30&radius_km=50&open_now=true&open_at=${instant}${more}`, {
        token,
      })
      .then((r) => {
        expect(r.status).toBe(200);
        return (r.body.items as { name: string }[]).map((i) => i.name).sort();
      });

  beforeAll(async () => {
    token = (await createUser(api.db)).token;
    const here = { lat: -30, lon: -30 };
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'Tokyo lunch',
      timeZone: 'Asia/Tokyo',
      hours: { daily: '09:00-17:00' },
    });
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'New York lunch',
      timeZone: 'America/New_York',
      hours: { daily: '09:00-17:00' },
    });
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'Friday late',
      timeZone: 'America/New_York',
      hours: { 'mon-thu': '18:00-23:00', fri: '18:00-02:00' },
    });
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'Spring night',
      timeZone: 'America/New_York',
      hours: { sun: '01:00-03:30' },
    });
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'Autumn night',
      timeZone: 'America/New_York',
      hours: { sun: '00:00-01:30' },
    });
    await addRestaurant(api.db.sql, {
      ...here,
      name: 'No time zone',
      timeZone: null,
      hours: { daily: '00:00-24:00' },
    });
    await addRestaurant(api.db.sql, { ...here, name: 'No hours', timeZone: 'UTC', hours: null });
  });

  it('is open in Tokyo and closed in New York at the same instant', async () => {
    // 01:00Z on Friday 4 December 2026: 10:00 in Tokyo, 20:00 on Thursday in New York
    expect(await at('2026-12-04T01:00:00Z')).toEqual(['Friday late', 'Tokyo lunch']);
    // 15:00Z: midnight in Tokyo, 10:00 in New York
    expect(await at('2026-12-04T15:00:00Z')).toEqual(['New York lunch']);
  });

  it('keeps hours that run past midnight open into the next day, and only after the right day', async () => {
    expect(await at('2026-12-04T23:00:00Z')).toContain('Friday late'); // Fri 18:00 EST
    expect(await at('2026-12-04T22:59:00Z')).not.toContain('Friday late'); // Fri 17:59
    expect(await at('2026-12-05T06:30:00Z')).toContain('Friday late'); // Sat 01:30
    expect(await at('2026-12-05T07:00:00Z')).not.toContain('Friday late'); // Sat 02:00
    expect(await at('2026-12-04T06:30:00Z')).not.toContain('Friday late'); // Fri 01:30: Thu closes at 23:00
  });

  it('follows the wall clock across the spring daylight-saving change', async () => {
    // Sunday 8 March 2026, New York: 02:00 EST becomes 03:00 EDT
    expect(await at('2026-03-08T06:30:00Z')).toContain('Spring night'); // 01:30 EST
    expect(await at('2026-03-08T07:15:00Z')).toContain('Spring night'); // 03:15 EDT
    expect(await at('2026-03-08T07:45:00Z')).not.toContain('Spring night'); // 03:45 EDT (a fixed -05:00 says 02:45)
  });

  it('follows the wall clock across the autumn change, when an hour repeats', async () => {
    // Sunday 1 November 2026, New York: 02:00 EDT becomes 01:00 EST
    expect(await at('2026-11-01T05:15:00Z')).toContain('Autumn night'); // 01:15 EDT
    expect(await at('2026-11-01T05:45:00Z')).not.toContain('Autumn night'); // 01:45 EDT
    expect(await at('2026-11-01T06:15:00Z')).toContain('Autumn night'); // 01:15 EST again (a fixed -04:00 says 02:15)
  });

  it('never calls a restaurant without a time zone or hours open, and says open_now null for it', async () => {
    const names = await at('2026-12-04T12:00:00Z');
    expect(names).not.toContain('No time zone');
    expect(names).not.toContain('No hours');
    const r = await api.request(
      'GET',
      '/restaurants?near=-30,-30&radius_km=50&open_now=false&open_at=2026-12-04T12:00:00Z',
      {
        token,
      },
    );
    const byName = new Map(
      (r.body.items as { name: string; open_now: boolean | null }[]).map((i) => [i.name, i]),
    );
    expect(byName.get('No time zone')?.open_now).toBeNull();
    expect(byName.get('No hours')?.open_now).toBeNull();
    expect(byName.get('Tokyo lunch')?.open_now).toBe(false);
  });

  it.each([
    [{ 'fri-mon': '10:00-12:00' }, '2026-12-06T11:00:00', true], // Sunday, inside a range round the week
    [{ 'fri-mon': '10:00-12:00' }, '2026-12-08T11:00:00', false], // Tuesday
    [{ daily: '12:00-24:00' }, '2026-12-08T23:59:00', true],
    [{ daily: '12:00-24:00' }, '2026-12-09T00:00:00', false],
    [{ sat: '11:00-14:00, 18:00-22:00' }, '2026-12-05T15:00:00', false],
    [{ sat: '11:00-14:00, 18:00-22:00' }, '2026-12-05T19:00:00', true],
    [{ sun: '22:00-06:00' }, '2026-12-07T05:59:00', true], // Monday early, from Sunday night
    [{ sun: '22:00-06:00' }, '2026-12-06T05:59:00', false], // Sunday early: Saturday is closed
  ])('opening_hours_open_at(%j, %s) is %s', async (hours, local, open) => {
    const [row] = await api.db
      .sql`select public.opening_hours_open_at(${api.db.sql.json(hours)}, ${local}::timestamp) as open`;
    expect(row?.open).toBe(open);
  });

  it.each([
    [{ mon: '9:00-17:00' }],
    [{ daily: '09:00-17:00', mon: '10:00-11:00' }],
    [{ funday: '09:00-17:00' }],
    [{ mon: '09:00-09:00' }],
    [{ mon: 9 }],
  ])('refuses opening hours %j (restaurants_hours_format_check)', async (hours) => {
    await expect(addRestaurant(api.db.sql, { lat: 1, lon: 1, hours: hours as never })).rejects.toMatchObject({
      constraint_name: 'restaurants_hours_format_check',
    });
  });
});

describe('GET /restaurants: bad input names the parameter', () => {
  let token = '';
  beforeAll(async () => {
    token = (await createUser(api.db)).token;
    for (let i = 0; i < 3; i++) await addRestaurant(api.db.sql, { lat: 20 + i / 1000, lon: 20 });
  });

  it.each([
    ['near=91,0', 'query.near'],
    ['near=0,180.5', 'query.near'],
    ['near=abc', 'query.near'],
    ['near=1,2,3', 'query.near'],
    ['near=0x1,2', 'query.near'],
    ['radius_km=5', 'query.near'],
    ['near=0,0&radius_km=201', 'query.radius_km'],
    ['near=0,0&radius_km=-1', 'query.radius_km'],
    ['near=0,0&limit=0', 'query.limit'],
    ['near=0,0&open_now=yes', 'query.open_now'],
    ['near=0,0&price_max=5', 'query.price_max'],
  ])('%s -> 400 naming %s', async (query, field) => {
    const r = await api.request('GET', `/restaurants?${query}`, { token });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('refuses malformed, tampered and foreign cursors with 400 invalid_cursor', async () => {
    const first = await api.request('GET', '/restaurants?near=20,20&limit=1', { token });
    const cursor = first.body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const forge = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const bad = [
      '!!!',
      'bm90IGpzb24',
      forge({ ...decoded, k: 3 }),
      forge({ ...decoded, k: 'x' }),
      forge({ ...decoded, id: 'not-a-uuid' }),
      forge({ ...decoded, extra: 1 }),
      forge({ k: decoded.k, id: decoded.id }),
    ];
    for (const c of bad) {
      const r = await api.request('GET', `/restaurants?near=20,20&limit=1&cursor=${c}`, { token });
      expect([c, r.status, r.body.code]).toEqual([c, 400, 'invalid_cursor']);
    }
    // a cursor of another query (another point) is not this query's
    const other = await api.request('GET', `/restaurants?near=20,20.001&limit=1&cursor=${cursor}`, { token });
    expect(other.body.code).toBe('invalid_cursor');
    const same = await api.request('GET', `/restaurants?near=20,20&limit=1&cursor=${cursor}`, { token });
    expect(same.status).toBe(200);
  });

  it('needs a signed-in caller', async () => {
    expect((await api.request('GET', '/restaurants?near=0,0')).status).toBe(401);
  });
});
