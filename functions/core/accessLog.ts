import { isIP } from 'node:net';
import type { Sql } from './db';
import { intLiteral, textLiteral, uuidLiteral } from './literal';

export interface AccessLogEntry {
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The route template (`/me/sessions/{sessionId}`), never the raw path. */
  readonly endpoint: string;
  readonly method: string;
  readonly status: number;
  readonly ms: number;
}

/**
 * One row in audit.access_logs: a single statement, outside the request's transaction, as the
 * login role (the roles a request runs as cannot write it). Sent when awaited or `execute()`d;
 * built from literals (`literal.ts`), so it costs one round trip, not two.
 */
export function writeAccessLog(sql: Sql, e: AccessLogEntry) {
  const ip = e.ip !== null && isIP(e.ip) ? e.ip : null;
  return sql.unsafe(`
    insert into audit.access_logs (user_id, session_id, ip_address, user_agent, endpoint, method, status_code, response_time_ms)
    values (${uuidLiteral(e.userId)}, ${uuidLiteral(e.sessionId)}, ${textLiteral(ip)}::inet,
            ${textLiteral(e.userAgent?.slice(0, 512) ?? null)}, ${textLiteral(e.endpoint)},
            ${textLiteral(e.method.slice(0, 10))}, ${intLiteral(e.status)}, ${intLiteral(e.ms)})`);
}
