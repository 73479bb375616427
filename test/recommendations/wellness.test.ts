import { createUser, useApi } from '../support';
import { consent, hardWeek, meal, person, restaurant, tag } from './support';

const api = useApi();

const wellnessCode = /^wellness_/;
const mentalWords = /stress|sleep|slept|mood|#StressRelief|#SleepAid|#MoodBoost/i;

/**
 * Two meals alike in every way the ranking reads, one tagged for a hard week: with consent and
 * such a week it must come first; without consent the logs must change nothing at all.
 */
async function setUp(lat: number) {
  const rest = await restaurant(api.db.sql, { lat, lon: 5 });
  const plain = await meal(api.db.sql, rest, { name: 'Plain' });
  const calming = await meal(api.db.sql, rest, { name: 'Calming' });
  await tag(api.db.sql, calming, '#StressRelief', 0.9, true);
  await tag(api.db.sql, calming, '#SleepAid', 0.5, false);
  await tag(api.db.sql, calming, '#MoodBoost', 0.8, true);
  return { plain, calming };
}

const get = (token: string, lat: number) =>
  api.request('GET', `/me/recommendations?near=${lat},5&meal=dinner`, { token });

const strip = (body: { items: { id: string }[] }) =>
  JSON.stringify(body.items.map(({ id: _id, ...rest }) => rest));

describe('the mental dimension of recommendations', () => {
  it('with consent, a hard week lifts the tagged meal and says why, and the read is audited', async () => {
    const u = await createUser(api.db);
    await person(api.db.sql, u.id, {});
    await consent(api.db.sql, u.id);
    await hardWeek(api.db.sql, u.id);
    const { calming, plain } = await setUp(-30);

    const r = await get(u.token, -30);

    expect(r.body.mental_wellness_considered).toBe(true);
    expect(r.body.items.map((i: { meal: { id: string } }) => i.meal.id)).toEqual([calming, plain]);
    const reasons = r.body.items[0].reasons as { code: string; sentence: string; points: number }[];
    expect(reasons.filter((x) => wellnessCode.test(x.code)).map((x) => x.sentence)).toEqual(
      expect.arrayContaining([
        'tagged #StressRelief (verified, confidence 0.90, effectiveness 4.2 of 5); your stress averaged 8.0 this week',
        'tagged #SleepAid (unverified, confidence 0.50, effectiveness 4.5 of 5); you slept 4.5 hours a night on average this week',
        'tagged #MoodBoost (verified, confidence 0.80, effectiveness 4.0 of 5); your mood averaged 3.0 this week',
      ]),
    );
    // verified and more confident counts more
    const points = Object.fromEntries(reasons.map((x) => [x.code, x.points]));
    expect(points.wellness_stress_relief).toBeGreaterThan(points.wellness_sleep_aid as number);
    expect(r.body.items[1].reasons.some((x: { code: string }) => wellnessCode.test(x.code))).toBe(false);

    const audit = await api.db.sql`
      select detail from audit.audit_logs where user_id = ${u.id} and event = 'mental_wellness_read'`;
    expect(audit).toEqual([
      { detail: { purpose: 'recommendations', logs: ['mood', 'stress', 'sleep'], days: 7 } },
    ]);
    // what is stored names the meal's tag, not the person's week
    const stored = await api.db.sql<{ reasons: unknown }[]>`
      select reasons from public.recommendations where user_id = ${u.id} and meal_id = ${calming}`;
    expect(JSON.stringify(stored[0]?.reasons)).toContain('#StressRelief');
    expect(JSON.stringify(stored[0]?.reasons)).not.toMatch(/averaged|slept|this week/);
  });

  it('without consent, the same logs change nothing and appear nowhere, and nothing is read', async () => {
    const withLogs = await createUser(api.db);
    const withoutLogs = await createUser(api.db);
    const revoked = await createUser(api.db);
    for (const u of [withLogs, withoutLogs, revoked]) await person(api.db.sql, u.id, {});
    await hardWeek(api.db.sql, withLogs.id);
    await consent(api.db.sql, revoked.id);
    await hardWeek(api.db.sql, revoked.id);
    await api.db.sql`update public.user_consents set revoked_at = now() where user_id = ${revoked.id}`;
    const { plain, calming } = await setUp(-31);

    const [a, b, c] = await Promise.all([
      get(withLogs.token, -31),
      get(withoutLogs.token, -31),
      get(revoked.token, -31),
    ]);

    for (const r of [a, b, c]) {
      expect(r.status).toBe(200);
      expect(r.body.mental_wellness_considered).toBe(false);
      expect(JSON.stringify(r.body.items)).not.toMatch(mentalWords);
      expect(new Set(r.body.items.map((i: { meal: { id: string } }) => i.meal.id))).toEqual(
        new Set([plain, calming]),
      );
    }
    // The same answer as a person without any logs: order, scores, reasons.
    expect(strip(a.body)).toBe(strip(b.body));
    expect(strip(c.body)).toBe(strip(b.body));
    const audit = await api.db.sql`
      select 1 from audit.audit_logs where user_id in (${withLogs.id}, ${revoked.id}) and event = 'mental_wellness_read'`;
    expect(audit).toEqual([]);
  });

  it('with consent but an ordinary week, the tags change nothing', async () => {
    const u = await createUser(api.db);
    const baseline = await createUser(api.db);
    await person(api.db.sql, u.id, {});
    await person(api.db.sql, baseline.id, {});
    await consent(api.db.sql, u.id);
    await api.db.sql`
      insert into health.stress_logs (user_id, stress_level, stress_label, logged_at)
      values (${u.id}, 3, 'low', now() - interval '1 day')`;
    await setUp(-32);
    const [r, base] = await Promise.all([get(u.token, -32), get(baseline.token, -32)]);
    expect(r.body.mental_wellness_considered).toBe(false);
    expect(strip(r.body)).toBe(strip(base.body));
  });
});
