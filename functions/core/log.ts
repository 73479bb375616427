import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Never pass a request body, token, password, email address or note:
 * log lines carry identifiers, routes, codes and timings only.
 */
export const logger = new Logger({
  serviceName: 'eatsential',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? 'INFO',
});

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
