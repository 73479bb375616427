import { isIP } from 'node:net';
import type { Row } from 'postgres';
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
 * One row in audit.access_logs, outside the request's transaction, as the login role (the roles a
 * request runs as cannot write it). Built from literals (`literal.ts`): it travels in the same
 * message as the request's COMMIT, or alone in one round trip. `audit.record_access` answers
 * `failed`, the SQLSTATE of a failed insert, instead of raising it.
 */
export function accessLogStatement(e: AccessLogEntry): string {
  const ip = e.ip !== null && isIP(e.ip) ? e.ip : null;
  return `select audit.record_access(${uuidLiteral(e.userId)}, ${uuidLiteral(e.sessionId)}, ${textLiteral(ip)},
    ${textLiteral(e.userAgent?.slice(0, 512) ?? null)}, ${textLiteral(e.endpoint)},
    ${textLiteral(e.method.slice(0, 10))}, ${intLiteral(e.status)}, ${intLiteral(e.ms)}) as failed`;
}

/** What `accessLogStatement` answered: `undefined` when the row was written, else why not. */
export function accessLogFailure(rows: readonly Row[] | undefined): string | undefined {
  if (!rows) return 'not sent';
  const failed = rows[0]?.failed as string | null | undefined;
  return failed ?? undefined;
}

/** Writes the row on its own; resolves with `accessLogFailure`'s answer. */
export async function writeAccessLog(sql: Sql, e: AccessLogEntry): Promise<string | undefined> {
  return accessLogFailure(await sql.unsafe(accessLogStatement(e)));
}
