import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Never pass a request body, token, password, email address or note:
 * log lines carry identifiers, routes, codes and timings only.
 */
export const logger = new Logger({
  serviceName: 'eatsential',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? 'INFO',
});

/** A request's log lines: the shared logger's, each with the request's own keys. */
export interface RequestLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Lines that carry `keys` (request id, route) and never reach a concurrent request's lines (the
 * local server runs many requests in one process). The keys go with each line rather than into a
 * child logger: building a Logger per request read its settings from the environment again, a
 * tenth of a signed-in read's time in the API.
 */
export function requestLog(keys: Readonly<Record<string, unknown>>): RequestLog {
  return {
    info: (message, extra) => logger.info(message, { ...keys, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...keys, ...extra }),
    error: (message, extra) => logger.error(message, { ...keys, ...extra }),
  };
}

/** What may be logged of an error: PostgreSQL messages can quote input values, so only their code and names. */
export function describeError(e: unknown): Record<string, unknown> {
  if (e && typeof e === 'object' && (e as { name?: string }).name === 'PostgresError') {
    const pg = e as { code?: string; constraint_name?: string; table_name?: string; routine?: string };
    return {
      name: 'PostgresError',
      sqlstate: pg.code,
      constraint: pg.constraint_name,
      table: pg.table_name,
      routine: pg.routine,
    };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: typeof e };
}
