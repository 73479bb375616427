import type { Row } from 'postgres';
import { UnauthorizedError } from './errors';
import { uuidLiteral } from './literal';
import type { Caller } from './tokens';

/**
 * A signed-in request's first statement, sent with BEGIN: sets its role and, through
 * `auth.begin_request`, checks that the session behind the access token is still live (logout,
 * revocation, password change and account deletion take effect at once, not when the token
 * expires), re-reads the user's role and sets the user for row-level security. Literals, not
 * parameters: it travels in BEGIN's simple-protocol message (literal.ts).
 */
export function sessionCheck(caller: Caller): string {
  return `select set_config('role', 'eatsential_write', true) as _, auth.begin_request(${uuidLiteral(caller.userId)}, ${uuidLiteral(caller.sessionId)}) as role`;
}

/** The caller with the role it has now, or 401 when its session has ended. */
export function confirmed(context: readonly Row[], caller: Caller): Caller {
  const role = context[0]?.role as Caller['role'] | null | undefined;
  if (!role) throw new UnauthorizedError('This session has ended; sign in again', { code: 'session_ended' });
  return { ...caller, role };
}
