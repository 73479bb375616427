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
import { routeKey, type Route } from '../core/route';

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

/** Turns an HTTP request into the API Gateway HTTP API (payload 2.0) event a Lambda receives. */
export function toEvent(
  req: IncomingMessage,
  url: URL,
  m: Matcher,
  values: string[],
  body: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
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
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
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

function refuse(req: IncomingMessage, res: ServerResponse, error: AppError): void {
  req.resume();
  const { problem, headers } = problemFor(error);
  send(res, problemResponse(problem, headers));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw: string;
  try {
    raw = canonicalPath(req.url ?? '/');
  } catch (e) {
    return refuse(req, res, e as AppError);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = raw.length > 1 ? raw.replace(/\/$/, '') : raw;
  const candidates = matchers.map((m) => ({ m, hit: m.pattern.exec(path) })).filter((c) => c.hit);
  const match = candidates.find((c) => c.m.route.method === req.method);
  if (!match?.hit) {
    return refuse(
      req,
      res,
      candidates.length
        ? new MethodNotAllowedError('This method is not allowed here', {
            headers: { allow: candidates.map((c) => c.m.route.method).join(', ') },
          })
        : new NotFoundError('No such route'),
    );
  }
  const body = await readBody(req);
  let event: APIGatewayProxyEventV2;
  try {
    event = toEvent(req, url, match.m, match.hit.slice(1), body);
  } catch (e) {
    if (!(e instanceof URIError)) throw e;
    throw new BadRequestError('The path is not valid percent-encoding', { code: 'invalid_path' });
  }
  const handler = await handlerOf(match.m.route.domain as Domain);
  send(
    res,
    await handler(event, lambdaContext(match.m.route.domain as Domain, event.requestContext.requestId)),
  );
}

/** The API over plain HTTP: every request goes through the same Lambda handlers as in AWS. */
export function createApiServer(): Server {
  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const { problem, headers } = problemFor(e);
      if (!res.headersSent) send(res, problemResponse(problem, { ...headers, connection: 'close' }));
      else res.destroy();
    });
  });
}
