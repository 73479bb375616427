import { database, transaction, type Sql } from '../../core/db';
import { reported, type Progress } from '../report';

/** Rows removed or unlinked per transaction: short transactions, short locks. */
export const batchSize = 1000;

interface PersonColumn {
  table_schema: string;
  table_name: string;
  column_name: string;
  action: 'delete' | 'unlink';
}

const asPurge = <T>(sql: Sql, fn: Parameters<typeof transaction<T>>[2]) =>
  transaction(sql, { role: 'eatsential_job_purge' }, fn);

/**
 * Order of the work for one account: its own rows everywhere (deletes before unlinks, so a
 * cascading parent goes before its nullable references), the account row, then the audit schema,
 * last, because the deletes above are themselves audited with copies of the rows.
 */
export function purgeOrder(columns: readonly PersonColumn[]): PersonColumn[] {
  const rank = (c: PersonColumn) => (c.table_schema === 'audit' ? 2 : 0) + (c.action === 'unlink' ? 1 : 0);
  return [...columns].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      `${a.table_schema}.${a.table_name}.${a.column_name}`.localeCompare(
        `${b.table_schema}.${b.table_name}.${b.column_name}`,
      ),
  );
}

/**
 * purge-deleted-accounts: records every soft-deleted account in the erasure ledger, then removes
 * every row of each pending one from every table the catalog links to public.users, unlinks the
 * audit rows that stay (security events, access logs: no user, no address, no device), deletes
 * the account and marks the erasure done. Each batch is its own transaction; a run stopped
 * anywhere is finished by the next (pending erasures stay pending until nothing links to them).
 */
export function run({ sql, progress, limit = batchSize }: { sql: Sql; progress?: Progress; limit?: number }) {
  return reported('purge-deleted-accounts', async () => {
    const recorded = await asPurge(sql, async (tx) => {
      const [row] = await tx<{ n: number }[]>`select lifecycle.record_erasure_requests() as n`;
      return row?.n ?? 0;
    });
    const [pending, columns] = await asPurge(sql, async (tx) => [
      await tx<{ account_id: string }[]>`select account_id from lifecycle.pending_erasures()`,
      purgeOrder(await tx<PersonColumn[]>`select * from lifecycle.person_columns()`),
    ]);
    const before = columns.filter((c) => c.table_schema !== 'audit');
    const after = columns.filter((c) => c.table_schema === 'audit');
    let rows = 0;
    let completed = 0;
    const drain = async (account: string, c: PersonColumn) => {
      for (;;) {
        const n = await asPurge(sql, async (tx) => {
          const [r] = await tx<{ n: number }[]>`
            select lifecycle.purge_batch(${account}, ${c.table_schema}, ${c.table_name}, ${c.column_name}, ${limit}) as n`;
          return r?.n ?? 0;
        });
        rows += n;
        progress?.(rows);
        if (n < limit) return;
      }
    };
    for (const { account_id: account } of pending) {
      for (const c of before) await drain(account, c);
      rows += await asPurge(sql, async (tx) => {
        const [r] = await tx<{ n: number }[]>`select lifecycle.delete_account(${account}) as n`;
        return r?.n ?? 0;
      });
      for (const c of after) await drain(account, c);
      const done = await asPurge(sql, async (tx) => {
        const [r] = await tx<{ done: boolean }[]>`select lifecycle.complete_erasure(${account}) as done`;
        return r?.done ?? false;
      });
      if (done) completed++;
    }
    const [oldest] = await asPurge(
      sql,
      (tx) => tx<{ seconds: number | null }[]>`
        select extract(epoch from now() - min(asked_at))::float8 as seconds from lifecycle.pending_erasures()`,
    );
    return {
      recorded,
      pending: pending.length,
      completed,
      rows,
      // The 24-hour promise, measured: how long the oldest deletion still pending has waited.
      oldestPendingSeconds: Math.round(oldest?.seconds ?? 0),
    };
  });
}

export const handler = async () => run({ sql: await database() });
