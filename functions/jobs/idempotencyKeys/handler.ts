import { database, transaction, type Sql } from '../../core/db';
import { reported } from '../report';

/** Rows deleted per transaction: short transactions, no long locks. */
export const batchSize = 1000;

/**
 * Deletes idempotency keys past their 24 hours: the stored first answers of creating requests are
 * kept no longer than retries need them. Idempotent and resumable: each batch commits on its own.
 */
export function run({ sql }: { sql: Sql }) {
  return reported('idempotency-keys', async () => {
    let deleted = 0;
    for (;;) {
      const batch = await transaction(sql, { role: 'eatsential_job_idempotency_keys' }, async (tx) => {
        const rows = await tx`
          delete from public.idempotency_keys
          where id in (
            select id from public.idempotency_keys
            where expires_at < now()
            order by expires_at
            limit ${batchSize})
          returning id`;
        return rows.length;
      });
      deleted += batch;
      if (batch < batchSize) return { deleted };
    }
  });
}

export const handler = async () => run({ sql: await database() });
