import { randomUUID } from 'node:crypto';
import { useApi } from '../support';
import { consentingUser, newId } from './support';

const api = useApi();

/** Every table of every application schema whose rows, as text, contain the marker (as in test/health/privacy). */
async function tablesHolding(marker: string): Promise<string[]> {
  const tables = await api.db.sql<{ name: string }[]>`
    select format('%I.%I', schemaname, tablename) as name from pg_tables
    where schemaname in ('public', 'auth', 'health', 'audit')`;
  expect(tables.length).toBeGreaterThan(30);
  const hits: string[] = [];
  for (const { name } of tables) {
    const [row] = await api.db.sql.unsafe(`select count(*)::int as n from ${name} t where t::text like $1`, [
      `%${marker}%`,
    ]);
    if ((row as unknown as { n: number }).n > 0) hits.push(name);
  }
  return hits;
}

describe('mental-wellness free text', () => {
  it('is stored only as ciphertext: a marker sent in every free-text field is found in no table', async () => {
    const u = await consentingUser(api);
    const marker = `marker-${randomUUID()}`;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      api.request('POST', path, { token: u.token, body, headers });

    const mood = await post('/me/mood-logs', { id: newId(), mood_score: 4, notes: `${marker} mood` });
    await api.request('PATCH', `/me/mood-logs/${mood.body.id}`, {
      token: u.token,
      body: { notes: `${marker} m2` },
    });
    const stress = await post('/me/stress-logs', {
      id: newId(),
      stress_level: 8,
      triggers: ['other'],
      triggers_other: `${marker} trigger`,
      coping_strategies: ['other'],
      coping_other: `${marker} coping`,
      notes: `${marker} stress`,
    });
    const sleep = await post('/me/sleep-logs', {
      id: newId(),
      sleep_date: '2026-11-20',
      bedtime: '23:00',
      wake_time: '06:00',
      quality_score: 3,
      notes: `${marker} sleep`,
    });
    const practice = await post('/me/mindfulness-sessions', {
      id: newId(),
      practice: 'breathing',
      duration_minutes: 5,
      notes: `${marker} practice`,
    });
    const goal = await post(
      '/me/mental-goals',
      {
        goal_type: 'stress_reduction',
        target_value: 4,
        target_unit: 'score',
        frequency: 'weekly',
        notes: `${marker} goal`,
      },
      { 'idempotency-key': randomUUID() },
    );
    const chat = await post(
      '/me/chat-sessions',
      { llm_model: 'gpt-4o', session_title: `${marker} title`, context_summary: `${marker} summary` },
      { 'idempotency-key': randomUUID() },
    );
    const usage = await post(`/me/chat-sessions/${chat.body.id}/usage`, {
      message_count: 4,
      total_tokens_used: 900,
      context_summary: `${marker} summary 2`,
    });
    for (const r of [mood, stress, sleep, practice, goal, chat, usage]) expect(r.status).toBeLessThan(300);

    // the owner reads them back in clear
    expect((await api.request('GET', `/me/mood-logs/${mood.body.id}`, { token: u.token })).body.notes).toBe(
      `${marker} m2`,
    );
    expect(
      (await api.request('GET', `/me/stress-logs/${stress.body.id}`, { token: u.token })).body,
    ).toMatchObject({
      triggers_other: `${marker} trigger`,
      coping_other: `${marker} coping`,
    });
    expect(
      (await api.request('GET', `/me/chat-sessions/${chat.body.id}`, { token: u.token })).body,
    ).toMatchObject({
      session_title: `${marker} title`,
      context_summary: `${marker} summary 2`,
    });

    expect(await tablesHolding(marker)).toEqual([]);
    const [stored] = await api.db.sql`
      select notes_key_version, triggers_other_key_version from health.stress_logs where id = ${stress.body.id}`;
    expect(stored).toEqual({ notes_key_version: 2, triggers_other_key_version: 2 });
  });
});

describe('AI chat sessions', () => {
  it('record usage totals that only grow, and end once with a status', async () => {
    const u = await consentingUser(api);
    const chat = await api.request('POST', '/me/chat-sessions', {
      token: u.token,
      body: { llm_model: 'claude-3-5-sonnet' },
    });
    const usage = (message_count: number, total_tokens_used: number) =>
      api.request('POST', `/me/chat-sessions/${chat.body.id}/usage`, {
        token: u.token,
        body: { message_count, total_tokens_used },
      });

    const grown = await usage(6, 1200);
    const retried = await usage(6, 1200);
    const shrunk = await usage(5, 1300);
    const end = await api.request('POST', `/me/chat-sessions/${chat.body.id}/end`, {
      token: u.token,
      body: { status: 'COMPLETED' },
    });
    const endAgain = await api.request('POST', `/me/chat-sessions/${chat.body.id}/end`, {
      token: u.token,
      body: { status: 'COMPLETED' },
    });
    const otherEnd = await api.request('POST', `/me/chat-sessions/${chat.body.id}/end`, {
      token: u.token,
      body: { status: 'ERROR' },
    });
    const afterEnd = await usage(7, 1400);
    const list = await api.request('GET', '/me/chat-sessions', { token: u.token });

    expect(grown.body).toMatchObject({ message_count: 6, total_tokens_used: 1200, status: 'ACTIVE' });
    expect(retried.status).toBe(200);
    expect(shrunk.status).toBe(409);
    expect(shrunk.body.code).toBe('usage_decreased');
    expect(shrunk.body.errors).toEqual([{ path: 'body.message_count', message: 'below the recorded 6' }]);
    expect(end.body).toMatchObject({ status: 'COMPLETED', ended_at: expect.any(String) });
    expect(endAgain.body).toEqual(end.body);
    expect(otherEnd.body.code).toBe('chat_session_ended');
    expect(afterEnd.body.code).toBe('chat_session_ended');
    expect(list.body.items).toEqual([end.body]);
  });

  it.each([
    ['a model that is not in the table', 'gpt-99'],
    ['a retired model', 'gpt-4'],
  ])('refuses %s with 422 unknown_llm_model', async (_what, model) => {
    const u = await consentingUser(api);
    const r = await api.request('POST', '/me/chat-sessions', { token: u.token, body: { llm_model: model } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('unknown_llm_model');
    expect(r.body.errors[0].path).toBe('body.llm_model');
  });
});
