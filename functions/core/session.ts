import type { Tx } from './db';
import { UnauthorizedError } from './errors';
import { uuidLiteral } from './literal';
import type { Caller } from './tokens';

/**
 * A signed-in request's first statement: sets its role and, through `auth.begin_request`, checks
 * that the session behind the access token is still live (logout, revocation, password change and
 * account deletion take effect at once, not when the token expires), re-reads the user's role and
 * sets the user for row-level security, in one statement.
 */
export function sessionCheck(tx: Tx, caller: Caller) {
  // Literals, not parameters: no describe round trip of its own (literal.ts).
  return tx.unsafe<{ role: 'user' | 'admin' | null }[]>(
    `select set_config('role', 'eatsential_write', true) as _, auth.begin_request(${uuidLiteral(caller.userId)}, ${uuidLiteral(caller.sessionId)}) as role`,
  );
}

/** The caller with the role it has now, or 401 when its session has ended. */
export async function confirmed(
  check: ReturnType<typeof sessionCheck> | undefined,
  caller: Caller,
): Promise<Caller> {
  const [row] = (await check) ?? [];
  if (!row?.role)
    throw new UnauthorizedError('This session has ended; sign in again', { code: 'session_ended' });
  return { ...caller, role: row.role };
}
