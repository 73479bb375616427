import { horizonDays, run } from '../../functions/jobs/anonymise/handler';
import { useTestDatabase } from '../support';
import { fillPerson } from './people';

describe('anonymise-wellness', () => {
  const db = useTestDatabase();
  const wellness = async () =>
    (
      await db.sql<
        { table_schema: string; table_name: string }[]
      >`select * from lifecycle.wellness_tables() order by 1, 2`
    ).map((t) => `${t.table_schema}.${t.table_name}`);
  const rowsFor = async (userId: string) => {
    const out: Record<string, unknown[]> = {};
    for (const t of await wellness())
      out[t] = await db.sql.unsafe(`select * from ${t} where user_id = $1 order by id`, [userId]);
    return out;
  };

  it('moves wellness rows past the horizon into statistics without person, text or exact time', async () => {
    const old = await fillPerson(db.sql, { loggedAt: new Date(Date.now() - 800 * 86400_000) });
    const recent = await fillPerson(db.sql, { loggedAt: new Date(Date.now() - 30 * 86400_000) });
    const recentBefore = await rowsFor(recent.id);
    const tables = await wellness();
    expect(tables).toEqual(
      expect.arrayContaining([
        'health.mood_logs',
        'health.stress_logs',
        'health.sleep_logs',
        'health.mental_wellness_goals',
      ]),
    );

    const report = await run({ sql: db.sql, days: 730, limit: 2 });

    expect(report.rows).toBe(tables.length);
    for (const rows of Object.values(await rowsFor(old.id))) expect(rows).toEqual([]);
    expect(await rowsFor(recent.id)).toEqual(recentBefore);
    const stats = await db.sql<{ source_table: string; week: string; facts: Record<string, unknown> }[]>`
      select source_table, week::text, facts from health.wellness_statistics order by source_table`;
    expect(stats.map((s) => s.source_table)).toEqual(tables);
    const text = JSON.stringify(stats);
    expect(text).not.toContain(old.id);
    expect(text).not.toMatch(/note of|at work|my boss|a chat/);
    for (const s of stats) {
      expect(new Date(`${s.week}T00:00:00Z`).getUTCDay()).toBe(1);
      for (const v of Object.values(s.facts)) {
        if (typeof v === 'string' && /^\d{4}-/.test(v))
          expect(new Date(`${v}T00:00:00Z`).getUTCDay()).toBe(1);
      }
    }
    expect(stats.find((s) => s.source_table === 'health.mood_logs')!.facts).toMatchObject({
      mood_score: 7,
      mood_label: 'good',
    });
    const audit =
      await db.sql`select count(*)::int as n from audit.data_changes where subject_user_id = ${old.id} and schema_name = 'health'`;
    expect(audit[0]!.n).toBe(0);

    expect((await run({ sql: db.sql, days: 730 })).rows).toBe(0);
  });

  it('takes the horizon from the stage, refusing one shorter than 30 days', () => {
    expect(horizonDays({})).toBe(730);
    expect(horizonDays({ WELLNESS_HORIZON_DAYS: '365' })).toBe(365);
    expect(() => horizonDays({ WELLNESS_HORIZON_DAYS: '7' })).toThrow(/at least 30/);
  });

  it('gives the anonymise role no read of wellness rows', async () => {
    await expect(
      db.sql.begin(async (tx) => {
        await tx`set local role eatsential_job_anonymise`;
        await tx`select * from health.mood_logs`;
      }),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
