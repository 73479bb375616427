import type { Tx } from './db';
import { UnauthorizedError } from './errors';
import type { Caller } from './tokens';

/**
 * The session behind an access token must still be live: logout, revocation, password change and
 * account deletion take effect at once, not when the token expires. Also re-reads the role.
 */
export async function confirmSession(tx: Tx, caller: Caller): Promise<Caller> {
  const [row] = await tx<{ role: 'user' | 'admin' }[]>`
    select u.role from auth.user_sessions s join public.users u on u.id = s.user_id
    where s.id = ${caller.sessionId} and s.user_id = ${caller.userId}
      and s.revoked_at is null and s.expires_at > now() and u.deleted_at is null and u.is_active`;
  if (!row) throw new UnauthorizedError('This session has ended; sign in again', { code: 'session_ended' });
  return { ...caller, role: row.role };
}
