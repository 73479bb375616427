import { database, transaction, type Sql } from '../../core/db';
import { reported, type Progress } from '../report';

/** Rows moved per transaction. */
export const batchSize = 500;

/** The stage's horizon (`WELLNESS_HORIZON_DAYS`, set by the CDK from lib/stage.ts), 2 years by default. */
export function horizonDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WELLNESS_HORIZON_DAYS ?? '730';
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 30) {
    throw new Error(`WELLNESS_HORIZON_DAYS must be a whole number of days, at least 30 (got "${raw}")`);
  }
  return days;
}

/**
 * anonymise-wellness: every mental-wellness row (the person-owned tables of the health schema,
 * found from the catalog) created before the horizon moves into health.wellness_statistics: its
 * numeric, boolean and enumerated facts and its ISO week, no person, no free text, no exact time;
 * its audit copies go too. Batches commit one by one; a stopped run is finished by the next.
 */
export function run({
  sql,
  days = horizonDays(),
  progress,
  limit = batchSize,
}: {
  sql: Sql;
  days?: number;
  progress?: Progress;
  limit?: number;
}) {
  return reported('anonymise-wellness', async () => {
    const tables = await transaction(
      sql,
      { role: 'eatsential_job_anonymise' },
      (tx) =>
        tx<
          { table_schema: string; table_name: string }[]
        >`select * from lifecycle.wellness_tables() order by 1, 2`,
    );
    const moved: Record<string, number> = {};
    let rows = 0;
    for (const t of tables) {
      const name = `${t.table_schema}.${t.table_name}`;
      moved[name] = 0;
      for (;;) {
        const n = await transaction(sql, { role: 'eatsential_job_anonymise' }, async (tx) => {
          const [r] = await tx<{ n: number }[]>`
            select lifecycle.anonymise_wellness_batch(${t.table_schema}, ${t.table_name}, make_interval(days => ${days}), ${limit}) as n`;
          return r?.n ?? 0;
        });
        moved[name] += n;
        rows += n;
        progress?.(rows);
        if (n < limit) break;
      }
    }
    return { horizonDays: days, rows, moved };
  });
}

export const handler = async () => run({ sql: await database() });
