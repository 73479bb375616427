import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { Row } from 'postgres';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Domain } from '../domains';
import { database } from './db';
import { transaction, type Sql, type Tx } from './db';
import { AppError, ForbiddenError, MethodNotAllowedError, NotFoundError } from './errors';
import { claim, complete, parseIdempotencyKey, release, requestHash, type KeyStore } from './idempotency';
import { describeError, requestLog, type RequestLog } from './log';
import { RawBody, Reply, type Operations } from './operation';
import { baseHeaders, problemFor, problemResponse } from './problems';
import { etagMatches } from './preconditions';
import { parseInput, type ParsedInput } from './request';
import { routeKey, type Route } from './route';
import { accessLogFailure, accessLogStatement, writeAccessLog, type AccessLogEntry } from './accessLog';
import { confirmed, sessionCheck } from './session';
import { verifyAuthorization, type Caller } from './tokens';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** Per-request state the middlewares and the dispatcher share, kept on the Lambda context. */
interface RequestState {
  /** This request's logger: its keys (request id, route) never reach a concurrent request's lines. */
  log: RequestLog;
  route?: Route;
  caller?: Caller;
  input?: ParsedInput;
  started: number;
  sql?: Sql;
  /** The access-log row went out with the request's COMMIT. */
  logged?: boolean;
}

type AppContext = Context & { state: RequestState };
type Middleware = middy.MiddlewareObj<Event, Result, Error, AppContext>;

/** Request context: picks the route, starts the clock and writes one log line per request. */
const requestContext = (byKey: ReadonlyMap<string, Route>): Middleware => {
  const requestContextAfter: middy.MiddlewareFn<Event, Result, Error, AppContext> = (request) => {
    const s = request.context.state;
    const status = request.response?.statusCode ?? 500;
    s.log[status >= 500 ? 'error' : 'info']('request', {
      status,
      duration_ms: Math.round(performance.now() - s.started),
      user_id: s.caller?.userId,
    });
  };
  return {
    before: function requestContextBefore(request) {
      request.context.state = {
        started: performance.now(),
        route: byKey.get(request.event.routeKey),
        log: requestLog({
          request_id: request.event.requestContext.requestId,
          route: request.event.routeKey,
        }),
      };
    },
    after: requestContextAfter,
    onError: requestContextAfter,
  };
};

/**
 * One row in audit.access_logs per request: the route template (never the raw path, which may carry
 * identifiers), method, status, duration, user, ip and user agent. A failure to log never fails the request.
 */
const accessLog = (): Middleware => {
  const accessLogAfter: middy.MiddlewareFn<Event, Result, Error, AppContext> = async (request) => {
    const s = request.context.state;
    if (s.logged) return;
    try {
      const failed = await writeAccessLog(
        s.sql ?? (await database()),
        accessLogEntry(s, request.event, request.response?.statusCode ?? 500),
      );
      if (failed) s.log.warn('access log not written', { sqlstate: failed });
    } catch (err) {
      s.log.warn('access log not written', { error: describeError(err) });
    }
  };
  return { after: accessLogAfter, onError: accessLogAfter };
};

function accessLogEntry(s: RequestState, e: Event, status: number): AccessLogEntry {
  return {
    userId: s.caller?.userId ?? null,
    sessionId: s.caller?.sessionId ?? null,
    ip: e.requestContext.http.sourceIp || null,
    userAgent: e.requestContext.http.userAgent || null,
    endpoint: s.route?.path ?? '/unmatched',
    method: e.requestContext.http.method,
    status,
    ms: Math.round(performance.now() - s.started),
  };
}

/** The one error mapper: every failure answers application/problem+json; a 5xx never shows its cause. */
const problemDetails = (): Middleware => ({
  onError: function problemDetailsOnError(request) {
    if (request.response !== undefined) return;
    const { problem, headers } = problemFor(request.error, request.event.requestContext.requestId);
    if (problem.status >= 500)
      request.context.state.log.error('request failed', { error: describeError(request.error) });
    request.response = problemResponse(problem, headers);
  },
});

/** Bearer token on `user` and `admin` routes; the route table says which. */
const authenticate = (routes: readonly Route[]): Middleware => ({
  before: async function authenticateBefore(request) {
    const s = request.context.state;
    if (!s.route) {
      // API Gateway sends a domain Lambda only its own routes; its slice is enough to tell 404 from 405.
      const known = routes.some((r) => matchesPath(r.path, request.event.rawPath));
      throw known
        ? new MethodNotAllowedError('This method is not allowed here')
        : new NotFoundError('No such route');
    }
    if (s.route.access === 'public') return;
    s.caller = await verifyAuthorization(request.event.headers.authorization);
    if (s.route.access === 'admin' && s.caller.role !== 'admin') {
      throw new ForbiddenError('Administrators only', { code: 'admin_only' });
    }
  },
});

/** Content type, size, JSON syntax, then zod on path, query and body. */
const validate = (): Middleware => ({
  before: function validateBefore(request) {
    const s = request.context.state;
    // Never logged, at any level: bodies carry credentials, health data and notes.
    s.input = parseInput(s.route as Route, request.event);
  },
});

function matchesPath(template: string, path: string): boolean {
  const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return pattern.test(path);
}

type Answer = { status: number; body: unknown; headers: Record<string, string> };

function respond(route: Route, value: unknown): Answer {
  if (value instanceof Reply) {
    const schema = value.status === route.status ? route.schemas.response : undefined;
    if (value.body instanceof RawBody)
      return { status: value.status, body: value.body, headers: { ...value.headers } };
    return {
      status: value.status,
      body: schema && value.body !== undefined ? schema.parse(value.body) : value.body,
      headers: { ...value.headers },
    };
  }
  const schema = route.schemas.response;
  // The response schema is the contract: fields it does not name (a hash, an email) never leave.
  return {
    status: route.status,
    body: schema && route.status !== 204 ? schema.parse(value) : undefined,
    headers: {},
  };
}

/** Cacheable GETs: an ETag over the body, a private max-age, and 304 when the client has it already. */
function conditional(route: Route, answer: Answer, ifNoneMatch: string | undefined): Answer {
  if (route.cacheSeconds === undefined || answer.status !== 200 || answer.body === undefined) return answer;
  const text = answer.body instanceof RawBody ? answer.body.text : JSON.stringify(answer.body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const headers = { ...answer.headers, etag, 'cache-control': `private, max-age=${route.cacheSeconds}` };
  if (etagMatches(ifNoneMatch, etag)) return { status: 304, body: undefined, headers };
  return { ...answer, headers };
}

function toResult(r: Answer): Result {
  if (r.body instanceof RawBody)
    return {
      statusCode: r.status,
      headers: { ...baseHeaders, 'content-type': r.body.contentType, ...r.headers },
      body: r.body.text,
    };
  return r.body === undefined
    ? { statusCode: r.status, headers: { ...baseHeaders, ...r.headers } }
    : {
        statusCode: r.status,
        headers: { ...baseHeaders, 'content-type': 'application/json', ...r.headers },
        body: JSON.stringify(r.body),
      };
}

/**
 * Builds the Lambda handler of one domain. Signed-in requests run inside one transaction as the
 * caller (row-level security applies even where a query forgets its WHERE); public ones get the client.
 */
export function handlerFor<D extends Domain>(
  domain: D,
  routes: readonly Route<D>[],
  operations: Operations<D>,
  options: {
    /**
     * A SELECT built from literals that a signed-in request of this domain sends with BEGIN and
     * the session check, in the same message (e.g. the consent a route needs); its rows reach the
     * operation as `context`. It runs before the user is confirmed: a dead session's answer is
     * never used.
     */
    readonly context?: (caller: Caller, route: Route<D>) => string | undefined;
  } = {},
) {
  const byKey = new Map<string, Route>(routes.map((r) => [routeKey(r), r]));
  const dispatch = async (event: Event, context: AppContext): Promise<Result> => {
    const s = context.state;
    const route = s.route as Route;
    if (route.domain !== domain) throw new NotFoundError('No such route');
    const input = s.input as ParsedInput;
    const sql = await database();
    s.sql = sql;
    const operation = (operations as unknown as Record<string, (i: unknown) => Promise<unknown>>)[
      route.operationId
    ];
    if (!operation) throw new NotFoundError('No such route');
    const meta = {
      id: event.requestContext.requestId,
      ip: event.requestContext.http.sourceIp || null,
      userAgent: event.requestContext.http.userAgent || null,
      ifMatch: event.headers['if-match'] ?? null,
    };
    const key = route.idempotent ? parseIdempotencyKey(event.headers['idempotency-key']) : null;
    const scope = { userId: s.caller?.userId ?? null, route: routeKey(route) };
    const later: (() => Promise<unknown>)[] = [];
    const afterCommit = (work: () => Promise<unknown>) => void later.push(work);
    const runLater = async () => {
      for (const work of later.splice(0)) {
        await work().catch((err: unknown) =>
          s.log.error('after-commit work failed', { error: describeError(err) }),
        );
      }
    };

    const invoke = async (
      store: KeyStore,
      tx: Tx | null,
      caller: Caller | null,
      inTx?: { context: readonly Row[] | undefined; atCommit: (statement: string) => void },
    ) => {
      if (key) {
        const first = await claim(store, scope, key, await requestHash(input.body));
        if (first)
          return {
            status: first.status,
            body: first.body ?? undefined,
            headers: { 'idempotent-replayed': 'true' },
          };
      }
      try {
        const r = respond(
          route,
          await operation({
            ...input,
            caller,
            tx,
            sql,
            request: meta,
            context: inTx?.context,
            atCommit: inTx?.atCommit ?? null,
            afterCommit,
          }),
        );
        if (key) await complete(store, scope, key, { status: r.status, body: r.body });
        return r;
      } catch (e) {
        if (key && !tx) await release(store, scope, key);
        throw e;
      }
    };

    const ifNoneMatch = event.headers['if-none-match'];
    if (route.access === 'public') {
      const answer = conditional(route, await invoke({ sql }, null, null), ifNoneMatch);
      await runLater();
      return toResult(answer);
    }
    const caller = s.caller as Caller;
    const extra = options.context?.(caller, route as Route<D>);
    const outcome = await transaction<{ answer: Answer } | { refusal: AppError }>(
      sql,
      { role: 'eatsential_write', userId: caller.userId },
      async (tx, { prologue, atCommit }) => {
        s.caller = confirmed(prologue[0] ?? [], caller);
        if (route.access === 'admin' && s.caller.role !== 'admin') {
          throw new ForbiddenError('Administrators only', { code: 'admin_only' });
        }
        try {
          const inTx = { context: extra === undefined ? undefined : prologue[1], atCommit };
          return { answer: conditional(route, await invoke({ tx }, tx, s.caller, inTx), ifNoneMatch) };
        } catch (e) {
          if (!(e instanceof AppError && e.commit)) throw e;
          if (key) await release({ tx }, scope, key);
          return { refusal: e };
        }
      },
      {
        prologue: extra === undefined ? [sessionCheck(caller)] : [sessionCheck(caller), extra],
        // The access-log row travels with COMMIT (or ROLLBACK), as the login role once the
        // transaction is over.
        epilogue: {
          statement: (result) => {
            const status =
              'error' in result
                ? problemFor(result.error).problem.status
                : 'refusal' in result.value
                  ? result.value.refusal.status
                  : result.value.answer.status;
            s.logged = true;
            return accessLogStatement(accessLogEntry(s, event, status));
          },
          settled: (rows) => {
            const failed = accessLogFailure(rows);
            if (failed) s.log.warn('access log not written', { sqlstate: failed });
          },
        },
      },
    );
    if ('refusal' in outcome) throw outcome.refusal;
    await runLater();
    return toResult(outcome.answer);
  };

  // middy runs `before` in this order and `after`/`onError` in reverse: errors become problems
  // first, then the access log row and the log line see the final status.
  return middy<Event, Result, Error, AppContext>()
    .use(requestContext(byKey))
    .use(accessLog())
    .use(problemDetails())
    .use(authenticate(routes))
    .use(validate())
    .handler(dispatch);
}
