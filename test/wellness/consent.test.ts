import { randomUUID } from 'node:crypto';
import { wellnessRoutes } from '../../functions/wellness/routes';
import { createUser, useApi } from '../support';
import { consentingUser, newId } from './support';

const api = useApi();

const gated = wellnessRoutes.filter((r) =>
  ((('problems' in r ? r.problems : {}) as { 403?: readonly string[] })[403] ?? []).includes(
    'consent_required',
  ),
);

/** A body each gated write accepts, so that with consent it gets past validation. */
function bodyFor(route: (typeof wellnessRoutes)[number]): unknown {
  const bodies: Record<string, unknown> = {
    'POST /me/mood-logs': { id: newId(), mood_score: 5 },
    'PATCH /me/mood-logs/{id}': { mood_score: 6 },
    'POST /me/stress-logs': { id: newId(), stress_level: 5 },
    'PATCH /me/stress-logs/{id}': { stress_level: 6 },
    'POST /me/sleep-logs': {
      id: newId(),
      sleep_date: '2026-11-01',
      bedtime: '23:00',
      wake_time: '07:00',
      quality_score: 5,
    },
    'PATCH /me/sleep-logs/{id}': { quality_score: 6 },
    'POST /me/mindfulness-sessions': { id: newId(), practice: 'breathing', duration_minutes: 10 },
    'POST /me/mental-goals': {
      goal_type: 'mood_improvement',
      target_value: 6,
      target_unit: 'score',
      frequency: 'weekly',
    },
    'PATCH /me/mental-goals/{id}': { status: 'PAUSED' },
    'POST /me/chat-sessions': { llm_model: 'gpt-4o' },
    'POST /me/chat-sessions/{id}/usage': { message_count: 1, total_tokens_used: 10 },
    'POST /me/chat-sessions/{id}/end': { status: 'COMPLETED' },
  };
  return bodies[`${route.method} ${route.path}`];
}

/** One entry of each kind, for the routes with an {id}. */
async function seed(token: string) {
  const post = async (path: string, body: unknown) => {
    const r = await api.request('POST', path, { token, body });
    expect([path, r.status]).toEqual([path, 201]);
    return r.body.id as string;
  };
  return {
    'mood-logs': await post('/me/mood-logs', { id: newId(), mood_score: 4, notes: 'seeded' }),
    'stress-logs': await post('/me/stress-logs', { id: newId(), stress_level: 4, triggers: ['work'] }),
    'sleep-logs': await post('/me/sleep-logs', {
      id: newId(),
      sleep_date: '2026-10-01',
      bedtime: '22:00',
      wake_time: '06:30',
      quality_score: 7,
    }),
    'mindfulness-sessions': await post('/me/mindfulness-sessions', {
      id: newId(),
      practice: 'meditation',
      duration_minutes: 15,
    }),
    'mental-goals': await post('/me/mental-goals', {
      goal_type: 'sleep_duration',
      target_value: 7,
      target_unit: 'hours',
      frequency: 'daily',
    }),
    'chat-sessions': await post('/me/chat-sessions', { llm_model: 'gpt-4o', session_title: 'evening chat' }),
  };
}

const pathFor = (path: string, ids: Record<string, string>) =>
  path.replace('{id}', ids[path.split('/')[2] as string] ?? randomUUID());

async function wellnessRows(userId: string): Promise<number> {
  const [row] = await api.db.sql<{ n: number }[]>`
    select ((select count(*) from health.mood_logs where user_id = ${userId})
          + (select count(*) from health.stress_logs where user_id = ${userId})
          + (select count(*) from health.sleep_logs where user_id = ${userId})
          + (select count(*) from health.mindfulness_sessions where user_id = ${userId})
          + (select count(*) from health.mental_wellness_goals where user_id = ${userId})
          + (select count(*) from health.ai_chat_sessions where user_id = ${userId}))::int as n`;
  return row?.n ?? -1;
}

describe('the consent gate', () => {
  it('covers every route of the domain but the consent routes and deletions of one’s own data', () => {
    const free = wellnessRoutes.filter((r) => !gated.includes(r)).map((r) => `${r.method} ${r.path}`);
    expect(free.sort()).toEqual([
      'DELETE /me/chat-sessions/{id}',
      'DELETE /me/consents/{type}',
      'DELETE /me/mental-goals/{id}',
      'DELETE /me/mental-health-data',
      'DELETE /me/mindfulness-sessions/{id}',
      'DELETE /me/mood-logs/{id}',
      'DELETE /me/sleep-logs/{id}',
      'DELETE /me/stress-logs/{id}',
      'GET /me/consents',
      'PUT /me/consents/{type}',
    ]);
  });

  it('answers 403 consent_required on every gated route without consent, and touches nothing', async () => {
    const u = await createUser(api.db);
    const before = await api.db.sql`select count(*)::int as n from audit.data_changes`;
    for (const route of gated) {
      const r = await api.request(route.method, pathFor(route.path, {}), {
        token: u.token,
        body: bodyFor(route),
      });
      expect([route.method, route.path, r.status, r.body.code]).toEqual([
        route.method,
        route.path,
        403,
        'consent_required',
      ]);
      expect(r.body.detail).toContain('mental_health_tracking');
    }
    const after = await api.db.sql`select count(*)::int as n from audit.data_changes`;
    expect(after[0]?.n).toBe(before[0]?.n);
    const [reads] = await api.db.sql`select count(*)::int as n from audit.data_reads where user_id = ${u.id}`;
    expect(reads?.n).toBe(0);
  });

  it('lets every gated route through with consent, and shuts it again once the consent is withdrawn', async () => {
    const u = await consentingUser(api);
    const ids = await seed(u.token);
    const ordered = [...gated].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of ordered) {
      const r = await api.request(route.method, pathFor(route.path, ids), {
        token: u.token,
        body: bodyFor(route),
      });
      expect([route.method, route.path, r.status]).toEqual([route.method, route.path, route.status]);
    }

    const withdrawn = await api.request('DELETE', '/me/consents/mental_health_tracking', { token: u.token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.consent.active).toBe(false);
    expect(withdrawn.body.how_to_delete).toContain('DELETE /me/mental-health-data');
    for (const route of gated) {
      const r = await api.request(route.method, pathFor(route.path, ids), {
        token: u.token,
        body: bodyFor(route),
      });
      expect([route.method, route.path, r.status]).toEqual([route.method, route.path, 403]);
    }
  });
});

describe('consents', () => {
  it('lists what was given and withdrawn; giving again under a new policy version replaces the old', async () => {
    const u = await consentingUser(api);
    const same = await api.request('PUT', '/me/consents/mental_health_tracking', {
      token: u.token,
      body: { policy_version: '2026-12' },
    });
    const newer = await api.request('PUT', '/me/consents/mental_health_tracking', {
      token: u.token,
      body: { policy_version: '2027-01' },
    });
    const list = await api.request('GET', '/me/consents', { token: u.token });

    expect(same.status).toBe(200);
    expect(newer.body).toMatchObject({ policy_version: '2027-01', active: true });
    expect(
      list.body.items.map((c: { policy_version: string; active: boolean }) => [c.policy_version, c.active]),
    ).toEqual([
      ['2027-01', true],
      ['2026-12', false],
    ]);
  });

  it('given from two phones at once: both answer 200 with the same consent, and one is active', async () => {
    const u = await createUser(api.db);
    for (const version of ['2026-12', '2027-01']) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          api.request('PUT', '/me/consents/mental_health_sharing', {
            token: u.token,
            body: { policy_version: version },
          }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
      expect(new Set(answers.map((r) => (r.body as { id: string }).id)).size).toBe(1);
    }
    const active = await api.db.sql<{ policy_version: string }[]>`
      select policy_version from public.user_consents
      where user_id = ${u.id} and consent_type = 'mental_health_sharing' and revoked_at is null`;
    expect(active).toEqual([{ policy_version: '2027-01' }]);
  });

  it('answers 404 when withdrawing a consent that is not active', async () => {
    const u = await createUser(api.db);
    const r = await api.request('DELETE', '/me/consents/marketing', { token: u.token });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('consent_not_found');
  });
});

describe('withdrawal then deletion', () => {
  it('leaves no mental-wellness row of the person, and those of others untouched', async () => {
    const u = await consentingUser(api);
    const other = await consentingUser(api);
    const ids = await seed(u.token);
    await seed(other.token);
    expect(await wellnessRows(u.id)).toBe(6);

    const withdrawn = await api.request('DELETE', '/me/consents/mental_health_tracking', { token: u.token });
    const one = await api.request('DELETE', `/me/mood-logs/${ids['mood-logs']}`, { token: u.token });
    const deleted = await api.request('DELETE', '/me/mental-health-data', { token: u.token });

    expect(withdrawn.body.data_kept).toBe(true);
    expect(one.status).toBe(204);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toEqual({
      mood_logs: 0,
      stress_logs: 1,
      sleep_logs: 1,
      mindfulness_sessions: 1,
      mental_wellness_goals: 1,
      ai_chat_sessions: 1,
    });
    expect(await wellnessRows(u.id)).toBe(0);
    expect(await wellnessRows(other.id)).toBe(6);
  });
});

describe("another person's wellness rows", () => {
  it('can be neither read nor changed through any route of the domain', async () => {
    const a = await consentingUser(api);
    const b = await consentingUser(api);
    const ids = await seed(a.token);
    const before = await api.db.sql`
      select 'mood' as t, to_jsonb(m) - 'created_at' as row from health.mood_logs m where user_id = ${a.id}
      union all select 'goal', to_jsonb(g) from health.mental_wellness_goals g where user_id = ${a.id}
      union all select 'chat', to_jsonb(c) from health.ai_chat_sessions c where user_id = ${a.id}
      order by 1`;
    const hers = new RegExp([a.id, 'seeded', 'evening chat', ...Object.values(ids)].join('|'));

    let walked = 0;
    for (const route of wellnessRoutes) {
      if (!route.path.includes('{id}')) continue;
      const r = await api.request(route.method, pathFor(route.path, ids), {
        token: b.token,
        body: bodyFor(route),
      });
      walked += 1;
      expect([route.method, route.path, r.status]).toEqual([route.method, route.path, 404]);
      expect(JSON.stringify(r.body ?? '')).not.toMatch(hers);
    }
    for (const route of wellnessRoutes.filter((r) => r.method === 'GET' && !r.path.includes('{'))) {
      const r = await api.request('GET', route.path, { token: b.token });
      expect(JSON.stringify(r.body)).not.toMatch(hers);
    }
    expect(walked).toBe(wellnessRoutes.filter((r) => r.path.includes('{id}')).length);

    const after = await api.db.sql`
      select 'mood' as t, to_jsonb(m) - 'created_at' as row from health.mood_logs m where user_id = ${a.id}
      union all select 'goal', to_jsonb(g) from health.mental_wellness_goals g where user_id = ${a.id}
      union all select 'chat', to_jsonb(c) from health.ai_chat_sessions c where user_id = ${a.id}
      order by 1`;
    expect(after).toEqual(before);
    expect(await wellnessRows(a.id)).toBe(6);
  });
});

describe('the read audit', () => {
  it('writes exactly one row per request of every read route: who, tables, rows, route, request id', async () => {
    const u = await consentingUser(api);
    const ids = await seed(u.token);
    const reads = wellnessRoutes.filter(
      (r) => r.method === 'GET' && r.path.startsWith('/me/') && gated.includes(r),
    );
    expect(reads.length).toBeGreaterThan(10);

    for (const route of reads) {
      const r = await api.request('GET', pathFor(route.path, ids), { token: u.token });
      expect([route.path, r.status]).toEqual([route.path, 200]);
      const rows = await api.db.sql<
        { user_id: string; tables: string[]; row_count: number; request_id: string }[]
      >`
        select user_id, subject_user_id, tables, row_count, request_id from audit.data_reads
        where user_id = ${u.id} and route = ${`GET ${route.path}`}`;
      expect([route.path, rows.length]).toEqual([route.path, 1]);
      expect(rows[0]?.tables.every((t) => t.startsWith('health.'))).toBe(true);
      expect(rows[0]?.row_count).toBeGreaterThanOrEqual(1);
      expect(rows[0]?.request_id).toBeTruthy();
    }
    const [total] = await api.db.sql`select count(*)::int as n from audit.data_reads where user_id = ${u.id}`;
    expect(total?.n).toBe(reads.length);
    const [content] = await api.db.sql`
      select count(*)::int as n from audit.data_reads r where r::text like '%seeded%' or r::text like '%evening%'`;
    expect(content?.n).toBe(0);
  });

  it('counts the rows a list returned', async () => {
    const u = await consentingUser(api);
    for (let i = 0; i < 3; i += 1)
      await api.request('POST', '/me/mood-logs', { token: u.token, body: { id: newId(), mood_score: 5 } });

    await api.request('GET', '/me/mood-logs?limit=2', { token: u.token });

    const [row] = await api.db.sql`
      select tables, row_count from audit.data_reads where user_id = ${u.id} and route = 'GET /me/mood-logs'`;
    expect(row).toEqual({ tables: ['health.mood_logs'], row_count: 2 });
  });
});
