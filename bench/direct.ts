/**
 * The "direct" side of a benchmark: what the API does in the database for one signed-in request,
 * through the same helpers and without HTTP or the handler chain. BEGIN with the session check,
 * the work, then COMMIT with the access-log row.
 */
import { accessLogStatement } from '../functions/core/accessLog';
import { transaction, type Sql, type Tx } from '../functions/core/db';
import { confirmed, sessionCheck } from '../functions/core/session';
import type { Caller } from '../functions/core/tokens';

export async function sameSql(
  sql: Sql,
  caller: Caller,
  endpoint: string,
  work: (tx: Tx, userId: string) => Promise<unknown>,
): Promise<void> {
  const t = performance.now();
  await transaction(
    sql,
    { role: 'eatsential_write', userId: caller.userId },
    async (tx, { prologue }) => {
      confirmed(prologue[0] ?? [], caller);
      await work(tx, caller.userId);
    },
    {
      prologue: sessionCheck(caller),
      epilogue: {
        statement: () =>
          accessLogStatement({
            userId: caller.userId,
            sessionId: caller.sessionId,
            ip: '127.0.0.1',
            userAgent: 'bench',
            endpoint,
            method: 'GET',
            status: 200,
            ms: Math.round(performance.now() - t),
          }),
      },
    },
  );
}
