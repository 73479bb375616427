import { createUser, onPostgres, useApi } from '../support';
import { localDate } from '../../functions/health/energy';

const api = useApi();

const body = {
  height_cm: 180,
  weight_kg: 80,
  date_of_birth: '1990-06-15',
  gender: 'male',
  activity_level: 'moderate',
};

/** Whole years by hand, to check the API's arithmetic rather than reuse it. */
function yearsOn(born: string, day: string): number {
  const [by, bm, bd] = born.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = day.split('-').map(Number) as [number, number, number];
  return ty - by - (tm * 100 + td < bm * 100 + bd ? 1 : 0);
}

describe('health profile', () => {
  it('computes BMR and TDEE for a man by Mifflin-St Jeor', async () => {
    const u = await createUser(api.db);
    const r = await api.request('PUT', '/me/health-profile', { token: u.token, body });
    expect(r.status).toBe(200);
    const age = yearsOn('1990-06-15', localDate('UTC'));
    const bmr = 10 * 80 + 6.25 * 180 - 5 * age + 5;
    expect(r.body).toMatchObject({
      age_years: age,
      bmr_kcal: Math.round(bmr),
      tdee_kcal: Math.round(bmr * 1.55),
      energy: { equation: 'mifflin_st_jeor_male', activity_factor: 1.55, missing: [] },
    });
    expect(r.headers.get('etag')).toMatch(/^"hp-\d+"$/);
  });

  it('computes BMR and TDEE for a woman by Mifflin-St Jeor', async () => {
    const u = await createUser(api.db);
    const r = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, height_cm: 165, weight_kg: 62.5, gender: 'female', activity_level: 'very_active' },
    });
    const age = yearsOn('1990-06-15', localDate('UTC'));
    const bmr = 10 * 62.5 + 6.25 * 165 - 5 * age - 161;
    expect(r.body).toMatchObject({ bmr_kcal: Math.round(bmr), tdee_kcal: Math.round(bmr * 1.9) });
  });

  it("counts a birthday that is today in the person's time zone but not in UTC", async () => {
    const now = new Date();
    // Kiritimati (UTC+14) is a day ahead of UTC from 10:00 UTC; Pago Pago (UTC-11) a day behind before 11:00.
    const zone = now.getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    const local = localDate(zone, now);
    const utc = now.toISOString().slice(0, 10);
    expect(local).not.toBe(utc);
    const u = await createUser(api.db);
    await api.db.sql`update public.users set time_zone = ${zone} where id = ${u.id}`;
    // Ahead of UTC: born on the local day, so UTC has not reached the birthday yet.
    // Behind UTC: born on the UTC day, so the local day has not reached it yet.
    const birthday = zone === 'Pacific/Kiritimati' ? local : utc;
    const born = `${Number(birthday.slice(0, 4)) - 30}${birthday.slice(4)}`;
    const r = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, date_of_birth: born },
    });
    expect(r.status).toBe(200);
    expect(r.body.age_years).toBe(yearsOn(born, local));
    expect(r.body.age_years).not.toBe(yearsOn(born, utc));
    const bmr = 10 * 80 + 6.25 * 180 - 5 * yearsOn(born, local) + 5;
    expect(r.body.bmr_kcal).toBe(Math.round(bmr));
  });

  it('says why there is no BMR for other or prefer_not_to_say, and estimates with a chosen equation', async () => {
    const u = await createUser(api.db);
    const none = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, gender: 'prefer_not_to_say' },
    });
    expect(none.body).toMatchObject({ bmr_kcal: null, tdee_kcal: null, energy: { equation: null } });
    expect(none.body.energy.explanation).toMatch(/bmr_equation/);
    const chosen = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, gender: 'prefer_not_to_say', bmr_equation: 'female' },
    });
    const age = yearsOn('1990-06-15', localDate('UTC'));
    expect(chosen.body.bmr_kcal).toBe(Math.round(10 * 80 + 6.25 * 180 - 5 * age - 161));
    expect(chosen.body.energy.equation_chosen_by_user).toBe(true);
  });

  it('answers 404 before a profile exists, then the profile with its ETag', async () => {
    const u = await createUser(api.db);
    const before = await api.request('GET', '/me/health-profile', { token: u.token });
    expect(before.status).toBe(404);
    expect(before.body.code).toBe('health_profile_not_found');
    const put = await api.request('PUT', '/me/health-profile', { token: u.token, body });
    const get = await api.request('GET', '/me/health-profile', { token: u.token });
    expect(get.body).toEqual(put.body);
    expect(get.headers.get('etag')).toBe(put.headers.get('etag'));
  });

  it('refuses a stale If-Match with 412 and changes nothing, so two phones cannot overwrite each other', async () => {
    const u = await createUser(api.db);
    const first = await api.request('PUT', '/me/health-profile', { token: u.token, body });
    const seen = first.headers.get('etag') as string;
    const phoneA = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, weight_kg: 79.5 },
      headers: { 'if-match': seen },
    });
    expect(phoneA.status).toBe(200);
    const phoneB = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, weight_kg: 81 },
      headers: { 'if-match': seen },
    });
    expect(phoneB.status).toBe(412);
    expect(phoneB.headers.get('content-type')).toBe('application/problem+json');
    expect(phoneB.body.code).toBe('stale_version');
    expect(phoneB.headers.get('etag')).toBe(phoneA.headers.get('etag'));
    const [row] = await api.db
      .sql`select weight_kg::float8 as w from public.health_profiles where user_id = ${u.id}`;
    expect(row?.w).toBe(79.5);
  });

  // PGlite serves one connection at a time, so the two writes cannot overlap there.
  (onPostgres ? it : it.skip)(
    'lets exactly one of four simultaneous writes over the same version win',
    async () => {
      const u = await createUser(api.db);
      const first = await api.request('PUT', '/me/health-profile', { token: u.token, body });
      const seen = { 'if-match': first.headers.get('etag') as string };
      const answers = await Promise.all(
        [70, 71, 72, 73].map((weight_kg) =>
          api.request('PUT', '/me/health-profile', {
            token: u.token,
            body: { ...body, weight_kg },
            headers: seen,
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412]);
      const winner = answers.find((a) => a.status === 200)?.body.weight_kg;
      const [row] = await api.db
        .sql`select weight_kg::float8 as w from public.health_profiles where user_id = ${u.id}`;
      expect(row?.w).toBe(winner);
    },
  );

  it('refuses If-Match when there is no profile yet', async () => {
    const u = await createUser(api.db);
    const r = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body,
      headers: { 'if-match': '"hp-1"' },
    });
    expect(r.status).toBe(412);
    const rows = await api.db.sql`select 1 from public.health_profiles where user_id = ${u.id}`;
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['height under 50 cm', { height_cm: 49 }, 400, 'validation_failed', 'body.height_cm'],
    ['height over 300 cm', { height_cm: 301 }, 400, 'validation_failed', 'body.height_cm'],
    ['weight under 20 kg', { weight_kg: 19.99 }, 400, 'validation_failed', 'body.weight_kg'],
    ['weight with three decimals', { weight_kg: 70.123 }, 400, 'validation_failed', 'body.weight_kg'],
    ['an unknown gender', { gender: 'robot' }, 400, 'validation_failed', 'body.gender'],
    [
      'a birth date before 1900',
      { date_of_birth: '1899-12-31' },
      400,
      'validation_failed',
      'body.date_of_birth',
    ],
    [
      'an age under 13',
      { date_of_birth: `${new Date().getUTCFullYear() - 12}-01-01` },
      422,
      'too_young',
      'body.date_of_birth',
    ],
  ])('refuses %s with a problem naming the field', async (_what, change, status, code, field) => {
    const u = await createUser(api.db);
    const r = await api.request('PUT', '/me/health-profile', {
      token: u.token,
      body: { ...body, ...change },
    });
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(await api.db.sql`select 1 from public.health_profiles where user_id = ${u.id}`).toHaveLength(0);
  });

  it('needs a verified email address', async () => {
    const u = await createUser(api.db);
    await api.db.sql`update public.users set is_email_verified = false where id = ${u.id}`;
    const r = await api.request('PUT', '/me/health-profile', { token: u.token, body });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('email_not_verified');
    const allergy = await api.request('POST', '/me/allergies', {
      token: u.token,
      body: { allergen_id: '00000000-0000-4000-8000-000000000000', severity: 'MILD' },
    });
    expect(allergy.body.code).toBe('email_not_verified');
  });
});

describe('reference catalogues', () => {
  it.each(['/reference/allergens', '/reference/dietary-restrictions', '/reference/medical-conditions'])(
    '%s carries an ETag and answers 304 to If-None-Match',
    async (path) => {
      const u = await createUser(api.db);
      const first = await api.request('GET', path, { token: u.token });
      expect(first.status).toBe(200);
      expect(first.body.items.length).toBeGreaterThan(5);
      const etag = first.headers.get('etag') as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(first.headers.get('cache-control')).toBe('private, max-age=3600');
      const again = await api.request('GET', path, { token: u.token, headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.body).toBeUndefined();
      expect(again.headers.get('etag')).toBe(etag);
      const other = await api.request('GET', path, { token: u.token, headers: { 'if-none-match': '"x"' } });
      expect(other.status).toBe(200);
    },
  );

  it('lists the gluten cereals as the parent of wheat', async () => {
    const u = await createUser(api.db);
    const { body: list } = await api.request('GET', '/reference/allergens', { token: u.token });
    const byName = new Map(list.items.map((a: { name: string }) => [a.name, a]));
    const wheat = byName.get('Wheat') as { parent_id: string };
    expect(wheat.parent_id).toBe((byName.get('Cereals containing gluten') as { id: string }).id);
  });
});
