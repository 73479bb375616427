import type { z } from 'zod';

/** Who may call a route: anyone, a signed-in user, or a signed-in administrator. */
export type Access = 'public' | 'user' | 'admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Throttling class: `auth` routes (login, register, reset) get a much tighter limit. */
export type ThrottleClass = 'default' | 'auth';

export interface RouteSchemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Schema of a successful response body; omitted for 204. */
  readonly response?: z.ZodType;
}

export interface Route<D extends string = string> {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/me/sessions/{sessionId}`. */
  readonly path: string;
  readonly domain: D;
  readonly access: Access;
  readonly operationId: string;
  readonly summary: string;
  /** Longer prose for the API reference; the document adds what the route's fields imply. */
  readonly description?: string;
  /** Status of a successful answer. */
  readonly status: 200 | 201 | 202 | 204;
  readonly schemas: RouteSchemas;
  /** Bodies of sensitive routes (credentials, tokens, notes) are never logged. */
  readonly sensitive?: boolean;
  /** @default 'default' */
  readonly throttle?: ThrottleClass;
  /** Creating POST that honours an `Idempotency-Key` header. */
  readonly idempotent?: boolean;
  /**
   * Takes `If-Match` (412 `stale_version` when it names a version that is not current).
   * @default true for PUT, false otherwise
   */
  readonly ifMatch?: boolean;
  /**
   * Media type of a success body that is not JSON (the API reference's page and assets); the
   * operation answers `new Reply(status, new RawBody(...))`.
   */
  readonly produces?: string;
  /**
   * A GET whose answer clients may keep this many seconds: it carries an `ETag` and
   * `Cache-Control: private, max-age=<s>`, and a matching `If-None-Match` answers 304.
   */
  readonly cacheSeconds?: number;
  /**
   * The problems this route answers beyond those every route of its kind may answer (malformed
   * input, authentication, throttling, service errors, idempotency for idempotent routes, 412 for
   * If-Match routes): by status, the `code`s a problem may carry, e.g. `{ 409: ['username_taken'] }`.
   * The OpenAPI document declares them, and a route answering an undeclared status or code is a
   * defect the test suites catch.
   */
  readonly problems?: Readonly<Partial<Record<ProblemStatus, readonly string[]>>>;
}

/** Statuses a route may declare problem codes for. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 423 | 429;

export const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;
