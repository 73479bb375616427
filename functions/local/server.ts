import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { domains, type Domain } from '../domains';
import { routes } from '../routes';
import {
  BadRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  type AppError,
} from '../core/errors';
import { problemFor, problemResponse } from '../core/problems';
import { maxBodyBytes } from '../core/request';
import { database } from '../core/db';
import { routeKey, type Route } from '../core/route';
import { localMailOutbox } from './mailOutbox';

type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const repoRoot = join(__dirname, '..', '..');

interface Matcher {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: string[];
}

const matchers: Matcher[] = (routes as readonly Route[]).map((route) => {
  const names: string[] = [];
  const source = route.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  return { route, pattern: new RegExp(`^${source}$`), names };
});

const handlers = new Map<Domain, Promise<LambdaHandler>>();

/** Loads a domain's Lambda handler from the entry the infrastructure bundles. */
function handlerOf(domain: Domain): Promise<LambdaHandler> {
  let h = handlers.get(domain);
  if (!h) {
    h = import(join(repoRoot, domains[domain].entry)).then((m: { handler: LambdaHandler }) => m.handler);
    handlers.set(domain, h);
  }
  return h;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new PayloadTooLargeError('The request body is larger than 1 MB', { code: 'body_too_large' }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  res.end(result.body ?? '');
}

/** What the server reads of an HTTP request: its request line, headers and peer. */
export interface LocalRequest {
  readonly method: string;
  /** The request target as sent: path and query string. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly httpVersion?: string;
  readonly remoteAddress?: string;
}

/** Turns an HTTP request into the API Gateway HTTP API (payload 2.0) event a Lambda receives. */
export function toEvent(
  req: LocalRequest,
  url: URL,
  m: Matcher,
  values: string[],
  body: string,
): APIGatewayProxyEventV2 {
  // Built from entries, as API Gateway's JSON is parsed: a key such as `__proto__` or
  // `constructor` is a key like any other (assigning `query[k]` would drop `__proto__` silently
  // and let `k in query` see the prototype's `constructor`).
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(req.headers).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(',') : v]],
    ),
  );
  const pairs = new Map<string, string>();
  for (const [k, v] of url.searchParams) pairs.set(k, pairs.has(k) ? `${pairs.get(k)},${v}` : v);
  const query: Record<string, string> = Object.fromEntries(pairs);
  const pathParameters = Object.fromEntries(m.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: routeKey(m.route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(m.names.length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion ?? '1.1'}`,
        sourceIp: (req.remoteAddress ?? '').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: routeKey(m.route),
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

function lambdaContext(domain: Domain, requestId: string): Context {
  const deadline = Date.now() + domains[domain].timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `eatsential-${domain}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:eatsential-${domain}`,
    memoryLimitInMB: String(domains[domain].memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/eatsential-${domain}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const invalidPath = (message: string) => new BadRequestError(message, { code: 'invalid_path' });

/**
 * The path of the raw request target, refused unless it is canonical. The URL parser would
 * resolve dot segments (also written `%2e%2e`), read `\` as `/` and `//host` as another host, so
 * that `DELETE /me/sessions/..` would reach `DELETE /me`; API Gateway routes the path as sent.
 * One trailing slash is tolerated.
 */
export function canonicalPath(target: string): string {
  const path = target.split(/[?#]/, 1)[0] ?? '';
  if (!path.startsWith('/')) throw invalidPath('The path must start with /');
  const segments = path.slice(1).split('/');
  segments.forEach((segment, i) => {
    if (segment === '' && i < segments.length - 1) throw invalidPath('The path has an empty segment');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw invalidPath('The path is not valid percent-encoding');
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('\\')) {
      throw invalidPath('The path has a dot segment or a backslash');
    }
  });
  return path;
}

const refusal = (error: AppError): APIGatewayProxyStructuredResultV2 => {
  const { problem, headers } = problemFor(error);
  return problemResponse(problem, headers);
};

/**
 * The answer to one request, as the HTTP server sends it: the path refused unless canonical, the
 * route matched, the body read (`body` is called only once a route is found, so a refused request
 * is never read), then the domain's Lambda handler. Tests call it directly to drive many requests
 * through the same chain without sockets.
 */
export async function serve(
  req: LocalRequest,
  body: () => Promise<string>,
): Promise<APIGatewayProxyStructuredResultV2> {
  let raw: string;
  try {
    raw = canonicalPath(req.url);
  } catch (e) {
    return refusal(e as AppError);
  }
  const url = new URL(req.url, 'http://localhost');
  const path = raw.length > 1 ? raw.replace(/\/$/, '') : raw;
  const candidates = matchers.map((m) => ({ m, hit: m.pattern.exec(path) })).filter((c) => c.hit);
  const match = candidates.find((c) => c.m.route.method === req.method);
  if (!match?.hit) {
    return refusal(
      candidates.length
        ? new MethodNotAllowedError('This method is not allowed here', {
            headers: { allow: candidates.map((c) => c.m.route.method).join(', ') },
          })
        : new NotFoundError('No such route'),
    );
  }
  const text = await body();
  let event: APIGatewayProxyEventV2;
  try {
    event = toEvent(req, url, match.m, match.hit.slice(1), text);
  } catch (e) {
    if (!(e instanceof URIError)) throw e;
    throw new BadRequestError('The path is not valid percent-encoding', { code: 'invalid_path' });
  }
  const handler = await handlerOf(match.m.route.domain as Domain);
  return handler(event, lambdaContext(match.m.route.domain as Domain, event.requestContext.requestId));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let read = false;
  const result = await serve(
    {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      httpVersion: req.httpVersion,
      remoteAddress: req.socket.remoteAddress,
    },
    () => {
      read = true;
      return readBody(req);
    },
  );
  if (!read) req.resume();
  send(res, result);
}

export interface ApiServer extends Server {
  /** Resolves once every email queued so far has been sent (or retried later, or given up). */
  deliverMail(): Promise<void>;
  /** Stops draining (before the database client is closed); resolves once the running drain is over. */
  stopMail(): Promise<void>;
}

/**
 * The API over plain HTTP: every request goes through the same Lambda handlers as in AWS, and the
 * mail outbox is drained by the same job code, after each identity request that writes and every
 * few seconds.
 */
export function createApiServer(): ApiServer {
  const outbox = localMailOutbox(database);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && /^\/(auth\/|me\/password)/.test(req.url ?? '')) res.on('finish', outbox.kick);
    handle(req, res).catch((e: unknown) => {
      const { problem, headers } = problemFor(e);
      if (!res.headersSent) send(res, problemResponse(problem, { ...headers, connection: 'close' }));
      else res.destroy();
    });
  }) as ApiServer;
  server.deliverMail = outbox.flush;
  server.stopMail = outbox.stop;
  server.on('close', () => void outbox.stop());
  return server;
}
