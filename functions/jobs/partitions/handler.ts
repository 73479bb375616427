import { database } from '../../core/db';
import { transaction, type Sql } from '../../core/db';
import { reported } from '../report';

/** Months kept ready ahead of the current one, so a late run never leaves a month without its partition. */
export const monthsAhead = 3;

const monthStart = (d: Date, plus: number) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));

/**
 * Creates the monthly audit.access_logs partitions from this month to `monthsAhead` ahead.
 * Idempotent: an existing partition is left alone; rows a month collected in the default
 * partition before its own existed are moved into it.
 */
export function run({ sql, now = new Date() }: { sql: Sql; now?: Date }) {
  return reported('partitions', async () => {
    const created: string[] = [];
    let existing = 0;
    for (let i = 0; i <= monthsAhead; i++) {
      const month = monthStart(now, i).toISOString().slice(0, 10);
      // One short transaction per month: the lock on the parent table is held briefly.
      const outcome = await transaction(sql, { role: 'eatsential_job_partitions' }, async (tx) => {
        const [row] = await tx<
          { outcome: string }[]
        >`select audit.create_access_log_partition(${month}::date) as outcome`;
        return row?.outcome;
      });
      if (outcome === 'created') created.push(month.slice(0, 7));
      else existing++;
    }
    return { created, existing };
  });
}

export const handler = async () => run({ sql: await database() });
