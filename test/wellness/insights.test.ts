import { labelOf } from '../../functions/wellness/logs';
import { useApi } from '../support';
import { referenceP, referenceRho, shuffled } from './reference';
import { consentingUser, localDay, newId } from './support';

const api = useApi();

const moodBands = ['very_poor', 'poor', 'neutral', 'good', 'excellent'];
const addDays = (day: string, n: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function mood(userId: string, day: string, score: number) {
  await api.db.sql`
    insert into health.mood_logs (id, user_id, mood_score, mood_label, logged_at)
    values (${newId()}, ${userId}, ${score}, ${labelOf(score, moodBands)}, ${`${day}T12:00:00Z`})`;
}

async function night(userId: string, day: string, bedtime: string, wake: string) {
  await api.db.sql`
    insert into health.sleep_logs (id, user_id, sleep_date, bedtime, wake_time, quality_score, quality_label)
    values (${newId()}, ${userId}, ${day}, ${bedtime}, ${wake}, 5, 'fair')`;
}

describe('insights', () => {
  const end = '2026-11-29';
  const days = 20;
  const order = shuffled(days, 42);
  /** Day i: three moods summing to 3 + order[i] (a distinct mean), a night 3 minutes shorter than the day before's. */
  const moodSum = (i: number) => 2 + (order[i] as number);
  const sleepHours = (i: number) => 8 - (3 * i) / 60;

  it('summarises each series and correlates mood with sleep as the reference computation does', async () => {
    const u = await consentingUser(api);
    for (let i = 0; i < days; i += 1) {
      const day = addDays(end, i - (days - 1));
      const s = moodSum(i) + 1;
      for (const score of [Math.floor(s / 3), Math.floor((s + 1) / 3), Math.floor((s + 2) / 3)])
        await mood(u.id, day, score);
      const minutes = 22 * 60 + 3 * i;
      await night(u.id, day, `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`, '06:00');
    }

    const r = await api.request('GET', `/me/insights?period=week&end=${end}`, { token: u.token });

    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      start: '2026-11-23',
      end,
      previous_start: '2026-11-16',
      previous_end: '2026-11-22',
    });
    const moodMeans = Array.from({ length: days }, (_, i) => (moodSum(i) + 1) / 3);
    const week = moodMeans.slice(13);
    const previous = moodMeans.slice(6, 13);
    const m = r.body.series.find((x: { series: string }) => x.series === 'mood');
    expect(m.days).toBe(7);
    expect(m.average).toBeCloseTo(mean(week), 2);
    expect(m.min).toBeCloseTo(Math.min(...week), 10);
    expect(m.max).toBeCloseTo(Math.max(...week), 10);
    expect(m.change).toBeCloseTo(mean(week) - mean(previous), 1);
    expect(m.logging_streak).toBe(days);
    expect(m.weekday_pattern.find((w: { weekday: string }) => w.weekday === 'sunday')).toEqual({
      weekday: 'sunday',
      average: Math.round(moodMeans[19]! * 100) / 100,
      days: 1,
    });
    const sleep = r.body.series.find((x: { series: string }) => x.series === 'sleep_duration');
    expect(sleep.average).toBeCloseTo(mean(Array.from({ length: 7 }, (_, k) => sleepHours(13 + k))), 2);

    const find = (outcome: string, predictor: string, lag: number) =>
      r.body.correlations.find(
        (c: { outcome: string; predictor: string; lag_days: number }) =>
          c.outcome === outcome && c.predictor === predictor && c.lag_days === lag,
      );
    const hours = Array.from({ length: days }, (_, i) => sleepHours(i));
    const same = find('mood', 'sleep_duration', 0);
    const rho0 = referenceRho(hours, moodMeans);
    expect(same.n).toBe(20);
    expect(same.rho).toBeCloseTo(rho0, 3);
    expect(same.p_value).toBeCloseTo(referenceP(rho0, 20), 3);
    expect(same.confidence).toBeGreaterThanOrEqual(1);
    expect(same.sentence).toContain(`rho ${rho0.toFixed(2)}, 20 days`);

    const after = find('mood', 'sleep_duration', 1);
    const rho1 = referenceRho(hours.slice(0, -1), moodMeans.slice(1));
    expect(after.n).toBe(19);
    expect(after.rho).toBeCloseTo(rho1, 3);
    expect(after.p_value).toBeCloseTo(referenceP(rho1, 19), 3);
    expect(after.sentence).toMatch(/^On days after you sleep longer, your mood is (higher|lower)/);
  });

  it('shows no correlation under 14 paired days, and says how many more are needed', async () => {
    const u = await consentingUser(api);
    for (let i = 0; i < 10; i += 1) {
      const day = addDays(end, -i);
      await mood(u.id, day, 1 + (i % 10));
      await night(u.id, day, '23:00', `0${(i % 4) + 5}:00`);
    }

    const r = await api.request('GET', `/me/insights?period=month&end=${end}`, { token: u.token });

    const c = r.body.correlations.find(
      (x: { outcome: string; predictor: string; lag_days: number }) =>
        x.outcome === 'mood' && x.predictor === 'sleep_duration' && x.lag_days === 0,
    );
    expect(c).toMatchObject({ n: 10, rho: null, p_value: null, confidence: null, days_needed: 4 });
    expect(c.sentence).toBe(
      'Log 4 more days with both mood and sleep duration to see whether they go together.',
    );
    const stress = r.body.correlations.find(
      (x: { outcome: string; predictor: string }) => x.predictor === 'stress',
    );
    expect(stress).toMatchObject({ n: 0, days_needed: 14 });
  });

  it('counts a backfilled day in the logging streak and a gap ends it', async () => {
    const u = await consentingUser(api);
    for (const back of [0, 1, 2, 4]) await mood(u.id, addDays(end, -back), 5);
    const before = await api.request('GET', `/me/insights?end=${end}`, { token: u.token });
    await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id: newId(), mood_score: 5, logged_at: `${addDays(end, -3)}T09:00:00Z` },
    });
    const after = await api.request('GET', `/me/insights?end=${end}`, { token: u.token });

    const streak = (r: typeof before) =>
      r.body.series.find((x: { series: string }) => x.series === 'mood').logging_streak;
    expect(streak(before)).toBe(3);
    expect(streak(after)).toBe(5);
  });
});

describe('goal progress', () => {
  it('marks each day of a daily sleep goal met or not, with share and streaks', async () => {
    const u = await consentingUser(api);
    const today = localDay('UTC');
    //            -9    -8    -7     -6    -5    -4    -3    -2     -1    today
    const met = [true, true, false, true, true, true, true, false, true, true];
    for (let k = 0; k < met.length; k += 1)
      await night(u.id, addDays(today, k - 9), '23:00', met[k] ? '07:00' : '05:30');
    const goal = await api.request('POST', '/me/mental-goals', {
      token: u.token,
      body: {
        goal_type: 'sleep_duration',
        target_value: 7.5,
        target_unit: 'hours',
        frequency: 'daily',
        start_date: addDays(today, -9),
      },
    });
    expect(goal.status).toBe(201);

    const r = await api.request('GET', `/me/mental-goals/${goal.body.id}/progress`, { token: u.token });

    expect(r.status).toBe(200);
    expect(r.body.periods.map((p: { met: boolean }) => p.met)).toEqual(met);
    expect(r.body.periods[0]).toEqual({
      start: addDays(today, -9),
      end: addDays(today, -9),
      complete: true,
      value: 8,
      days_logged: 1,
      met: true,
    });
    expect(r.body).toMatchObject({
      periods_counted: 10,
      periods_met: 8,
      share_met: 0.8,
      current_streak: 2,
      longest_streak: 4,
    });
  });

  it('counts days of mindfulness practice per week; the running week counts once met', async () => {
    const u = await consentingUser(api);
    const today = localDay('UTC');
    const start = addDays(today, -20);
    // week 1 (days 0-6): 3 days, week 2 (7-13): 1 day, week 3 (14-20, running): 2 days so far
    for (const d of [0, 2, 4, 9, 15, 20])
      await api.db.sql`
        insert into health.mindfulness_sessions (id, user_id, practice, duration_minutes, logged_at)
        values (${newId()}, ${u.id}, 'meditation', 10, ${`${addDays(start, d)}T12:00:00Z`})`;
    const goal = await api.request('POST', '/me/mental-goals', {
      token: u.token,
      body: {
        goal_type: 'mindfulness_practice',
        target_value: 3,
        target_unit: 'days_per_week',
        frequency: 'weekly',
        start_date: start,
      },
    });

    const r = await api.request('GET', `/me/mental-goals/${goal.body.id}/progress`, { token: u.token });

    expect(
      r.body.periods.map((p: { value: number; met: boolean; complete: boolean }) => [
        p.value,
        p.met,
        p.complete,
      ]),
    ).toEqual([
      [3, true, true],
      [1, false, true],
      [2, false, false],
    ]);
    expect(r.body).toMatchObject({
      periods_counted: 2,
      periods_met: 1,
      share_met: 0.5,
      current_streak: 0,
      longest_streak: 1,
    });
  });

  it.each([
    [
      'hours for a mood goal',
      { goal_type: 'mood_improvement', target_unit: 'hours', frequency: 'daily' },
      'body.target_unit',
    ],
    [
      'days_per_week on a daily goal',
      { goal_type: 'mindfulness_practice', target_unit: 'days_per_week', frequency: 'daily' },
      'body.frequency',
    ],
    [
      'a mood score target of 11',
      { goal_type: 'mood_improvement', target_unit: 'score', frequency: 'daily', target_value: 11 },
      'body.target_value',
    ],
  ])('refuses %s', async (_what, fields, path) => {
    const u = await consentingUser(api);
    const r = await api.request('POST', '/me/mental-goals', {
      token: u.token,
      body: { target_value: 5, ...fields },
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('goal_unit_mismatch');
    expect(r.body.errors[0].path).toBe(path);
  });
});
