import type { Sql } from './db';

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

/** One row in audit.access_logs: a single statement, outside the request's transaction. */
export async function writeAccessLog(sql: Sql, e: AccessLogEntry): Promise<void> {
  await sql`
    insert into audit.access_logs (user_id, session_id, ip_address, user_agent, endpoint, method, status_code, response_time_ms)
    values (${e.userId}, ${e.sessionId}, ${e.ip}, ${e.userAgent?.slice(0, 512) ?? null}, ${e.endpoint},
            ${e.method.slice(0, 10)}, ${e.status}, ${e.ms})`;
}
