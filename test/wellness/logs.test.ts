import { useApi } from '../support';
import { consentingUser, newId } from './support';

const api = useApi();

describe('mood logs', () => {
  it('derives the label from the score and reads the entry back', async () => {
    const u = await consentingUser(api);
    const id = newId();

    const made = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id, mood_score: 7, energy_level: 4, context: 'work', notes: 'a long day' },
    });

    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id, mood_score: 7, mood_label: 'good', notes: 'a long day' });
    const got = await api.request('GET', `/me/mood-logs/${id}`, { token: u.token });
    expect(got.body).toEqual(made.body);
  });

  it('creates one entry for the same client id sent twice, and refuses it with other content', async () => {
    const u = await consentingUser(api);
    const body = { id: newId(), mood_score: 3, logged_at: '2026-11-30T08:00:00-05:00', notes: 'tired' };

    const first = await api.request('POST', '/me/mood-logs', { token: u.token, body });
    const again = await api.request('POST', '/me/mood-logs', { token: u.token, body });
    const other = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { ...body, mood_score: 4 },
    });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('entry_conflict');
    const [n] = await api.db.sql`select count(*)::int as n from health.mood_logs where user_id = ${u.id}`;
    expect(n?.n).toBe(1);
  });

  it('refuses an id another person took, without showing their entry', async () => {
    const a = await consentingUser(api);
    const b = await consentingUser(api);
    const id = newId();
    await api.request('POST', '/me/mood-logs', {
      token: a.token,
      body: { id, mood_score: 2, notes: 'hers' },
    });

    const r = await api.request('POST', '/me/mood-logs', { token: b.token, body: { id, mood_score: 2 } });

    expect(r.status).toBe(409);
    expect(r.body.code).toBe('entry_conflict');
    expect(JSON.stringify(r.body)).not.toContain('hers');
  });

  it.each([
    ['a score of 11', { mood_score: 11 }, 'body.mood_score', 400],
    ['a score of 0', { mood_score: 0 }, 'body.mood_score', 400],
    ['an energy level of 12', { mood_score: 5, energy_level: 12 }, 'body.energy_level', 400],
    ['a label that contradicts the score', { mood_score: 9, mood_label: 'poor' }, 'body.mood_label', 422],
    [
      'a logged_at an hour ahead',
      { mood_score: 5, logged_at: new Date(Date.now() + 3_600_000).toISOString() },
      'body.logged_at',
      400,
    ],
    [
      'a logged_at without offset',
      { mood_score: 5, logged_at: '2026-11-30T08:00:00' },
      'body.logged_at',
      400,
    ],
  ])('refuses %s, naming the field, and writes nothing', async (_what, fields, path, status) => {
    const u = await consentingUser(api);

    const r = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id: newId(), ...fields },
    });

    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const [n] = await api.db.sql`select count(*)::int as n from health.mood_logs where user_id = ${u.id}`;
    expect(n?.n).toBe(0);
  });

  it('accepts a clock a minute ahead (skew), and changes score and label together', async () => {
    const u = await consentingUser(api);
    const id = newId();
    const made = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id, mood_score: 5, logged_at: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(made.status).toBe(201);

    const changed = await api.request('PATCH', `/me/mood-logs/${id}`, {
      token: u.token,
      body: { mood_score: 9 },
    });
    const contradiction = await api.request('PATCH', `/me/mood-logs/${id}`, {
      token: u.token,
      body: { mood_label: 'poor' },
    });

    expect(changed.body).toMatchObject({ mood_score: 9, mood_label: 'excellent' });
    expect(contradiction.status).toBe(422);
    expect(contradiction.body.code).toBe('label_contradicts_score');
  });

  it('lists by local day range, newest first, page by page', async () => {
    const u = await consentingUser(api);
    for (let d = 1; d <= 5; d += 1) {
      await api.request('POST', '/me/mood-logs', {
        token: u.token,
        body: { id: newId(), mood_score: d, logged_at: `2026-11-0${d}T12:00:00Z` },
      });
    }
    const first = await api.request('GET', '/me/mood-logs?from=2026-11-02&to=2026-11-05&limit=2', {
      token: u.token,
    });
    const second = await api.request(
      'GET',
      `/me/mood-logs?from=2026-11-02&to=2026-11-05&limit=2&cursor=${first.body.next_cursor}`,
      { token: u.token },
    );

    expect(first.body.items.map((i: { local_date: string }) => i.local_date)).toEqual([
      '2026-11-05',
      '2026-11-04',
    ]);
    expect(second.body.items.map((i: { local_date: string }) => i.local_date)).toEqual([
      '2026-11-03',
      '2026-11-02',
    ]);
    expect(second.body.next_cursor).toBeNull();
  });
});

describe('the local day of an entry', () => {
  it('is the day in Los Angeles at 23:30 there, not the next UTC day', async () => {
    const u = await consentingUser(api, { timeZone: 'America/Los_Angeles' });

    const r = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id: newId(), mood_score: 6, logged_at: '2026-11-20T23:30:00-08:00' },
    });

    expect(r.body.local_date).toBe('2026-11-20');
    expect(r.body.logged_at).toBe('2026-11-21T07:30:00.000Z');
  });

  it.each([
    ['just before the spring change', '2026-03-08T01:30:00-08:00', '2026-03-08'],
    ['late on the day of the spring change', '2026-03-08T23:30:00-07:00', '2026-03-08'],
    ['late on the day before the autumn change', '2026-10-31T23:30:00-07:00', '2026-10-31'],
    ['late on the day of the autumn change', '2026-11-01T23:30:00-08:00', '2026-11-01'],
  ])('follows daylight saving time: %s', async (_what, loggedAt, day) => {
    const u = await consentingUser(api, { timeZone: 'America/Los_Angeles' });

    const r = await api.request('POST', '/me/stress-logs', {
      token: u.token,
      body: { id: newId(), stress_level: 4, logged_at: loggedAt },
    });

    expect(r.status).toBe(201);
    expect(r.body.local_date).toBe(day);
  });

  it('stays when the person moves time zones later', async () => {
    const u = await consentingUser(api, { timeZone: 'America/Los_Angeles' });
    const id = newId();
    await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id, mood_score: 6, logged_at: '2026-11-20T23:30:00-08:00' },
    });

    const moved = await api.request('PATCH', '/me', { token: u.token, body: { time_zone: 'Asia/Tokyo' } });
    await api.request('PATCH', `/me/mood-logs/${id}`, { token: u.token, body: { notes: 'after the move' } });
    const later = await api.request('POST', '/me/mood-logs', {
      token: u.token,
      body: { id: newId(), mood_score: 6, logged_at: '2026-11-21T07:30:00Z' },
    });

    expect(moved.status).toBe(200);
    expect((await api.request('GET', `/me/mood-logs/${id}`, { token: u.token })).body.local_date).toBe(
      '2026-11-20',
    );
    expect(later.body.local_date).toBe('2026-11-21');
  });
});

describe('stress logs', () => {
  it('keeps trigger and coping codes of the vocabulary, and free text beside them', async () => {
    const u = await consentingUser(api);

    const r = await api.request('POST', '/me/stress-logs', {
      token: u.token,
      body: {
        id: newId(),
        stress_level: 8,
        triggers: ['work', 'deadlines', 'work'],
        coping_strategies: ['walk'],
        triggers_other: 'the printer',
      },
    });

    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      stress_label: 'high',
      triggers: ['work', 'deadlines'],
      coping_strategies: ['walk'],
      triggers_other: 'the printer',
    });
  });

  it.each([
    ['an unknown trigger code', { triggers: ['work', 'aliens'] }, 'body.triggers.1', 422],
    ['an unknown coping code', { coping_strategies: ['shouting'] }, 'body.coping_strategies.0', 422],
    [
      'eleven triggers',
      {
        triggers: [
          'work',
          'study',
          'finances',
          'relationships',
          'family',
          'health',
          'sleep',
          'caregiving',
          'commute',
          'news',
          'other',
        ],
      },
      'body.triggers',
      400,
    ],
    ['a level of 11', { stress_level: 11 }, 'body.stress_level', 400],
    ['a label that contradicts the level', { stress_label: 'minimal' }, 'body.stress_label', 422],
  ])('refuses %s, naming the field, and writes nothing', async (_what, fields, path, status) => {
    const u = await consentingUser(api);

    const r = await api.request('POST', '/me/stress-logs', {
      token: u.token,
      body: { id: newId(), stress_level: 7, ...fields },
    });

    expect(r.status).toBe(status);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const [n] = await api.db.sql`select count(*)::int as n from health.stress_logs where user_id = ${u.id}`;
    expect(n?.n).toBe(0);
  });
});

describe('sleep logs', () => {
  it('takes a night across midnight, dated by the day of waking', async () => {
    const u = await consentingUser(api);

    const r = await api.request('POST', '/me/sleep-logs', {
      token: u.token,
      body: {
        id: newId(),
        sleep_date: '2026-11-28',
        bedtime: '23:30',
        wake_time: '07:00',
        quality_score: 6,
        interruptions: 2,
      },
    });

    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      duration_hours: 7.5,
      quality_label: 'fair',
      bedtime: '23:30',
      wake_time: '07:00',
    });
  });

  it('keeps one night per sleep date', async () => {
    const u = await consentingUser(api);
    const night = { sleep_date: '2026-11-27', bedtime: '22:00', wake_time: '06:00', quality_score: 8 };
    await api.request('POST', '/me/sleep-logs', { token: u.token, body: { id: newId(), ...night } });

    const second = await api.request('POST', '/me/sleep-logs', {
      token: u.token,
      body: { id: newId(), ...night },
    });

    expect(second.status).toBe(409);
    expect(second.body.code).toBe('sleep_night_exists');
  });

  it.each([
    ['a night of zero length', { bedtime: '23:00', wake_time: '23:00' }, 'body.wake_time'],
    ['25 interruptions', { interruptions: 25 }, 'body.interruptions'],
    ['a quality of 0', { quality_score: 0 }, 'body.quality_score'],
    ['a night in the future', { sleep_date: '2099-01-01' }, 'body.sleep_date'],
    ['a time of 24:00', { wake_time: '24:00' }, 'body.wake_time'],
  ])('refuses %s, naming the field', async (_what, fields, path) => {
    const u = await consentingUser(api);

    const r = await api.request('POST', '/me/sleep-logs', {
      token: u.token,
      body: {
        id: newId(),
        sleep_date: '2026-11-26',
        bedtime: '23:00',
        wake_time: '07:00',
        quality_score: 5,
        ...fields,
      },
    });

    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const [n] = await api.db.sql`select count(*)::int as n from health.sleep_logs where user_id = ${u.id}`;
    expect(n?.n).toBe(0);
  });
});
