import type { z } from 'zod';
import type { ProblemStatus, Route } from './route';

/**
 * What a route may answer, derived from its fields: the one source for the OpenAPI document and
 * for the tests, which fail on any answer the route does not declare.
 *
 * Every route of every domain gets the generic problems below from what it is (public or signed
 * in, with a body, with path parameters, idempotent, If-Match); `route.problems` adds the codes
 * its operations throw themselves.
 */

/** Statuses with problem codes; 5xx are every route's, the rest as declared or derived. */
export type DeclaredStatus = ProblemStatus | 500 | 503;

/** Codes of the database's refusals of a value (problems.ts): any route that stores what it is sent. */
export const valueCodes = [
  'invalid_characters',
  'invalid_datetime',
  'invalid_value',
  'value_out_of_range',
  'value_too_long',
] as const;

/** The generic codes, by what brings them: the list domain routes are checked against. */
export const genericProblems = {
  /** Every route: a non-canonical path (local server), a body above 1 MB, throttling, failures. */
  every: {
    400: ['invalid_path'],
    413: ['body_too_large'],
    429: ['too_many_requests'],
    500: ['internal_error'],
    503: ['retry', 'timeout', 'unavailable'],
  },
  /** No query schema: any query parameter is refused. */
  noQuery: { 400: ['unexpected_query'] },
  /** A query schema (params/body likewise): zod refuses the value, naming the field. */
  query: { 400: ['validation_failed', ...valueCodes] },
  /** A query that pages (`cursor` in its schema). */
  cursor: { 400: ['invalid_cursor'] },
  params: { 400: ['validation_failed', ...valueCodes] },
  /** No body schema: a body is refused. */
  noBody: { 400: ['unexpected_body'] },
  body: { 400: ['malformed_json', 'validation_failed', ...valueCodes], 415: ['unsupported_media_type'] },
  /** `access: 'user' | 'admin'` (core/tokens.ts, core/session.ts). */
  signedIn: { 401: ['invalid_token', 'missing_token', 'session_ended', 'token_expired'] },
  admin: { 403: ['admin_only'] },
  /** `idempotent: true` (core/idempotency.ts). */
  idempotent: {
    400: ['invalid_idempotency_key'],
    409: ['idempotency_request_in_progress'],
    422: ['idempotency_key_reused'],
  },
  /** If-Match routes (core/preconditions.ts). */
  ifMatch: { 412: ['stale_version'] },
} as const satisfies Record<string, Partial<Record<DeclaredStatus, readonly string[]>>>;

/** What the local server answers before any route is found: not any route's answer. */
export const unroutedProblems: Readonly<Partial<Record<number, readonly string[]>>> = {
  400: ['invalid_path'],
  404: ['not_found'],
  405: ['method_not_allowed'],
};

/** Whether a route takes `If-Match`: every PUT, and any route that says so. */
export const takesIfMatch = (route: Route): boolean => route.ifMatch ?? route.method === 'PUT';

const shapeOf = (schema: z.ZodType | undefined): Record<string, unknown> | undefined =>
  (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;

/** Every problem status a route may answer, each with the sorted codes its problems may carry. */
export function declaredProblems(route: Route): ReadonlyMap<DeclaredStatus, readonly string[]> {
  const g = genericProblems;
  const parts: Partial<Record<DeclaredStatus, readonly string[]>>[] = [g.every];
  const { params, query, body } = route.schemas;
  parts.push(query ? g.query : g.noQuery);
  if (query && shapeOf(query) && 'cursor' in (shapeOf(query) ?? {})) parts.push(g.cursor);
  if (params) parts.push(g.params);
  parts.push(body ? g.body : g.noBody);
  if (route.access !== 'public') parts.push(g.signedIn);
  if (route.access === 'admin') parts.push(g.admin);
  if (route.idempotent) parts.push(g.idempotent);
  if (takesIfMatch(route)) parts.push(g.ifMatch);
  if (route.problems) parts.push(route.problems);

  const merged = new Map<DeclaredStatus, Set<string>>();
  for (const part of parts) {
    for (const [status, codes] of Object.entries(part) as [string, readonly string[]][]) {
      const set = merged.get(Number(status) as DeclaredStatus) ?? new Set<string>();
      for (const c of codes) set.add(c);
      merged.set(Number(status) as DeclaredStatus, set);
    }
  }
  return new Map(
    [...merged.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]),
  );
}

/** Every status a route may answer: its success, 304 where cacheable, and its problems. */
export function declaredStatuses(route: Route): number[] {
  return [
    route.status,
    ...(route.cacheSeconds !== undefined ? [304] : []),
    ...declaredProblems(route).keys(),
  ].sort((a, b) => a - b);
}

interface Compiled {
  readonly route: Route;
  readonly pattern: RegExp;
}

/** Finds the route of a method and a request path (no query string) by its path template. */
export function routeFinder(table: readonly Route[]): (method: string, path: string) => Route | undefined {
  const compiled: Compiled[] = table.map((route) => ({
    route,
    pattern: new RegExp(
      `^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`,
    ),
  }));
  return (method, path) => {
    const p = path.length > 1 ? path.replace(/\/$/, '') : path;
    return compiled.find((c) => c.route.method === method.toUpperCase() && c.pattern.test(p))?.route;
  };
}

/**
 * Why an answer breaks the route's contract, or null when the route declares it. `contentType`
 * and `code` are the answer's; a problem must be application/problem+json with a declared code.
 */
export function contractViolation(
  route: Route | undefined,
  answer: { status: number; contentType: string | null; code: unknown },
): string | null {
  const isProblem = answer.status >= 400;
  if (isProblem && !(answer.contentType ?? '').startsWith('application/problem+json')) {
    return `answered ${answer.status} as ${answer.contentType ?? 'no content type'}, not application/problem+json`;
  }
  if (!route) {
    const codes = unroutedProblems[answer.status];
    if (!codes) return `answered ${answer.status} to a request no route matches`;
    if (!codes.includes(String(answer.code)))
      return `answered ${answer.status} with code "${String(answer.code)}" to a request no route matches (expected one of ${codes.join(', ')})`;
    return null;
  }
  const where = `${route.method} ${route.path}`;
  if (!isProblem) {
    const ok = answer.status === route.status || (answer.status === 304 && route.cacheSeconds !== undefined);
    return ok
      ? null
      : `${where} answered ${answer.status}, which it does not declare (success is ${route.status})`;
  }
  const codes = declaredProblems(route).get(answer.status as DeclaredStatus);
  if (!codes) {
    return `${where} answered ${answer.status} (code "${String(answer.code)}"), a status it does not declare: declare it in the route's \`problems\` or fix the operation`;
  }
  if (!codes.includes(String(answer.code))) {
    return `${where} answered ${answer.status} with code "${String(answer.code)}", which it does not declare for ${answer.status} (declared: ${codes.join(', ')}): add it to the route's \`problems\` or fix the operation`;
  }
  return null;
}
