import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError } from './errors';
import { constraintProblems } from './constraints';
import { isPgError } from './db';

/** Headers every answer carries: API responses hold personal health data and are never cached. */
export const baseHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  readonly instance?: string;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** SQLSTATE classes the API can explain to a client; anything else is a 500. */
const sqlStates: Record<string, { status: number; code: string; detail: string; retry?: boolean }> = {
  '23505': { status: 409, code: 'already_exists', detail: 'A record with these values already exists' },
  '23503': {
    status: 409,
    code: 'reference_not_found',
    detail: 'A referenced record does not exist or is still in use',
  },
  '23514': { status: 422, code: 'constraint_violation', detail: 'A value is outside its allowed range' },
  '23502': { status: 400, code: 'missing_value', detail: 'A required value is missing' },
  '23P01': { status: 409, code: 'conflict', detail: 'The record overlaps an existing one' },
  '22021': {
    status: 400,
    code: 'invalid_characters',
    detail: 'A value holds characters that cannot be stored',
  },
  '22001': { status: 400, code: 'value_too_long', detail: 'A value is too long' },
  '22003': { status: 400, code: 'value_out_of_range', detail: 'A number is out of range' },
  '22007': { status: 400, code: 'invalid_datetime', detail: 'A date or time is not valid' },
  '22008': { status: 400, code: 'invalid_datetime', detail: 'A date or time is out of range' },
  '22009': { status: 400, code: 'invalid_datetime', detail: 'A time zone offset is out of range' },
  '22P02': { status: 400, code: 'invalid_value', detail: 'A value has the wrong format' },
  '22023': { status: 400, code: 'invalid_value', detail: 'A value is not valid' },
  '42501': { status: 403, code: 'forbidden', detail: 'This record is not yours to change' },
  '40001': {
    status: 503,
    code: 'retry',
    detail: 'The request conflicted with another; retry it',
    retry: true,
  },
  '40P01': {
    status: 503,
    code: 'retry',
    detail: 'The request conflicted with another; retry it',
    retry: true,
  },
  '55P03': { status: 503, code: 'retry', detail: 'The record is busy; retry shortly', retry: true },
  '57014': { status: 503, code: 'timeout', detail: 'The request took too long', retry: true },
  '53300': { status: 503, code: 'unavailable', detail: 'The service is busy; retry shortly', retry: true },
  // The server is shutting down, crashed, or still starting up: the next attempt reconnects.
  '57P01': {
    status: 503,
    code: 'unavailable',
    detail: 'The database is restarting; retry shortly',
    retry: true,
  },
  '57P02': {
    status: 503,
    code: 'unavailable',
    detail: 'The database is restarting; retry shortly',
    retry: true,
  },
  '57P03': {
    status: 503,
    code: 'unavailable',
    detail: 'The database is starting up; retry shortly',
    retry: true,
  },
  '08000': { status: 503, code: 'unavailable', detail: 'The database connection failed; retry', retry: true },
  '08003': { status: 503, code: 'unavailable', detail: 'The database connection failed; retry', retry: true },
  '08006': { status: 503, code: 'unavailable', detail: 'The database connection failed; retry', retry: true },
  // What a connection pooler in front of the database says for its own failures: pgbouncer sends
  // 08P01 when the server connection under a transaction is lost ("server conn crashed?"), when
  // it cannot reach the server, or when a client waited too long for a connection.
  '08P01': { status: 503, code: 'unavailable', detail: 'The database connection failed; retry', retry: true },
};

const problem = (status: number, code: string, detail: string, instance?: string): Problem => ({
  type: `urn:eatsential:problem:${code}`,
  title: titles[status] ?? 'Error',
  status,
  code,
  detail,
  instance,
});

const unreachable = ['ECONNREFUSED', 'ECONNRESET', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'ETIMEDOUT'];

export function problemFor(
  e: unknown,
  requestId?: string,
): { problem: Problem; headers: Record<string, string> } {
  if (e instanceof AppError) {
    return {
      problem: {
        ...problem(e.status, e.code, e.message, requestId),
        ...(e.errors ? { errors: e.errors } : {}),
      },
      headers: { ...e.headers },
    };
  }
  if (isPgError(e)) {
    const named = e.constraint_name ? constraintProblems[e.constraint_name] : undefined;
    if (named) {
      return {
        problem: {
          ...problem(named.status, named.code, named.detail, requestId),
          ...(named.field ? { errors: [{ path: named.field, message: named.detail }] } : {}),
        },
        headers: {},
      };
    }
    const known = sqlStates[e.code];
    // Generic database messages may quote values: clients get the table's wording instead.
    if (known) {
      return {
        problem: problem(known.status, known.code, known.detail, requestId),
        headers: known.retry ? { 'retry-after': '1' } : {},
      };
    }
    // The database's own RAISE messages are written for clients.
    if (e.code === 'P0001')
      return { problem: problem(422, 'rule_violation', e.message, requestId), headers: {} };
  }
  // The function ran out of its time (middy's early answer before the Lambda timeout): retryable.
  if ((e as { name?: string } | null)?.name === 'TimeoutError') {
    return {
      problem: problem(503, 'timeout', 'The request took too long; retry it', requestId),
      headers: { 'retry-after': '1' },
    };
  }
  if (unreachable.includes((e as { code?: string } | null)?.code ?? '')) {
    return {
      problem: problem(503, 'unavailable', 'The service is temporarily unavailable', requestId),
      headers: { 'retry-after': '5' },
    };
  }
  return { problem: problem(500, 'internal_error', 'An unexpected error occurred', requestId), headers: {} };
}

export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { ...baseHeaders, 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problem),
  };
}
