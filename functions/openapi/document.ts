import * as z from 'zod';
import { domains } from '../domains';
import { routes } from '../routes';
import { declaredProblems, takesIfMatch, type DeclaredStatus } from '../core/contract';
import type { Route } from '../core/route';

/**
 * OpenAPI 3.1 of every route in the route table. Schemas come from the zod schemas: every request
 * body and success body is a named component (its `.meta({ id })`, else named after its
 * operation), and so is every schema named with `.meta({ id })` that they contain. Every status a
 * route may answer is declared, its problems with the enum of their codes (functions/core/contract.ts).
 */

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

const int32 = 2 ** 31;
/** An ETag list as If-Match and If-None-Match take it. */
const etagList = { type: 'string', maxLength: 200, pattern: '^(\\*|(W/)?"[^"]*"(\\s*,\\s*(W/)?"[^"]*")*)$' };

/** uuids get their length; integers get the OpenAPI format their bounds allow: int32 when they fit, int64 otherwise. */
const override = (ctx: { jsonSchema: Json }) => {
  const s = ctx.jsonSchema;
  if (s.format === 'uuid') s.maxLength = 36;
  if (s.format === 'date') s.maxLength = 10;
  if (s.type !== 'integer') return;
  const min = typeof s.minimum === 'number' ? s.minimum : -Infinity;
  const max = typeof s.maximum === 'number' ? s.maximum : Infinity;
  s.format = min >= -int32 && max < int32 ? 'int32' : 'int64';
};

const toJson = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', override }) as Json;
  return rest;
};

const problemSchema = {
  type: 'object',
  description:
    'Problem details (RFC 9457). `code` is stable and machine-readable; each response lists the codes it may carry.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', description: '`urn:eatsential:problem:<code>`' },
    title: { type: 'string', description: 'The status text' },
    status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599 },
    code: { type: 'string', description: 'Stable, machine-readable error code' },
    detail: { type: 'string', description: 'What went wrong, for a person' },
    instance: { type: 'string', description: 'The request id, to quote to support' },
    errors: {
      type: 'array',
      description: 'The fields at fault, e.g. `body.email`',
      items: ref('FieldError'),
    },
  },
};

const fieldErrorSchema = {
  type: 'object',
  required: ['path', 'message'],
  properties: {
    path: { type: 'string', description: 'Where: `params.`, `query.` or `body.` and the field' },
    message: { type: 'string' },
  },
};

const gatewayErrorSchema = {
  type: 'object',
  description:
    "API Gateway's own answer, before or instead of the API's (an HTTP API cannot reshape it): " +
    '`{"message":"Unauthorized"}` (401, no Authorization header), `{"message":"Forbidden"}` (403, the ' +
    'access token was refused: refresh it or sign in), `{"message":"Request Entity Too Large"}` (413, above ' +
    '10 MB), `{"message":"Too Many Requests"}` (429, throttled), `{"message":"Internal Server Error"}` ' +
    '(500), `{"message":"Service Unavailable"}` (503, the function is at its concurrency limit) and a 504 ' +
    'when the function did not answer in time. Sent as `application/json`; there is no `code`.',
  required: ['message'],
  properties: { message: { type: 'string' } },
};

/** Statuses API Gateway itself may answer for a route, in the GatewayError shape. */
function gatewayStatuses(route: Route): number[] {
  return [...(route.access === 'public' ? [] : [401, 403]), 413, 429, 500, 503, 504];
}

const descriptions: Record<number, string> = {
  304: 'Not modified: the copy whose ETag was sent is current',
  400: 'The request is malformed or a value is not valid (`errors` names the fields)',
  401: 'No valid access token, or its session has ended: refresh it or sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with the current state',
  412: 'If-Match named a version that is no longer current: read again, reapply, retry',
  413: 'The request body is larger than 1 MB',
  415: 'The body must be application/json',
  422: 'Well-formed but refused by a rule',
  429: 'Too many requests: wait for Retry-After (or back off) and retry',
  500: 'An unexpected error; the problem carries no detail of its cause',
  503: 'Temporarily unavailable or a conflict with a concurrent request: retry after Retry-After',
  504: "API Gateway's timeout: the function did not answer in time; retry",
};

const retryAfter = { $ref: '#/components/headers/RetryAfter' };

function problemResponse(route: Route, status: number, codes: readonly string[] | undefined) {
  const content: Json = {};
  if (codes?.length) {
    content['application/problem+json'] = {
      schema: {
        allOf: [
          ref('Problem'),
          {
            type: 'object',
            required: ['code'],
            properties: { code: { type: 'string', enum: codes } },
          },
        ],
      },
    };
  }
  if (gatewayStatuses(route).includes(status)) content['application/json'] = { schema: ref('GatewayError') };
  const headers: Json = {};
  if (status === 429 || status === 503) headers['Retry-After'] = retryAfter;
  if (status === 401) headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWWAuthenticate' };
  if (status === 412) headers.ETag = { $ref: '#/components/headers/ETag' };
  return {
    description: descriptions[status] ?? 'Error',
    ...(Object.keys(headers).length ? { headers } : {}),
    content,
  };
}

/** Every named schema of the global registry (`.meta({ id })`), by schema. */
function globallyNamed(): Map<z.ZodType, string> {
  const idmap = (z.globalRegistry as unknown as { _idmap?: Map<string, z.ZodType> })._idmap;
  if (!idmap)
    throw new Error('zod registries no longer keep an id map: update functions/openapi/document.ts');
  return new Map([...idmap.entries()].map(([id, schema]) => [schema, id]));
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Components {
  readonly schemas: Record<string, Json>;
  readonly bodyId: Map<Route, string>;
  readonly responseId: Map<Route, string>;
}

/**
 * Request bodies are converted as zod inputs, success bodies as outputs (defaults and transforms
 * differ). A named schema whose two forms differ gets its input form as `<id>Input`.
 */
function components(table: readonly Route[]): Components {
  const named = globallyNamed();
  const regs = { input: z.registry<{ id: string }>(), output: z.registry<{ id: string }>() };
  const bodyId = new Map<Route, string>();
  const responseId = new Map<Route, string>();
  const use = (io: 'input' | 'output', schema: z.ZodType, fallback: string): string => {
    const reg = regs[io];
    const id = reg.get(schema)?.id ?? named.get(schema) ?? fallback;
    if (!reg.has(schema)) reg.add(schema, { id });
    return id;
  };
  for (const route of table) {
    const { body, response } = route.schemas;
    if (body) bodyId.set(route, use('input', body, `${pascal(route.operationId)}Body`));
    if (response && route.status !== 204 && !route.produces)
      responseId.set(route, use('output', response, `${pascal(route.operationId)}Response`));
  }
  for (const [schema, id] of named) {
    for (const reg of Object.values(regs)) if (!reg.has(schema)) reg.add(schema, { id });
  }
  const convert = (io: 'input' | 'output', uri: (id: string) => string) => {
    const out = z.toJSONSchema(regs[io], { io, uri, unrepresentable: 'any', override }).schemas as Record<
      string,
      Json
    >;
    delete out.__shared;
    for (const s of Object.values(out)) {
      delete s.$schema;
      delete s.$id;
    }
    return out;
  };
  const output = convert('output', (id) => `#/components/schemas/${id}`);
  const marker = '#/components/schemas/~input~';
  const input = convert('input', (id) => `${marker}${id}`);
  // Only what the paths reach: a body's input form, a response's output form, and what they name.
  const reach = (map: Record<string, Json>, roots: Iterable<string>, prefix: string) => {
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id) || !map[id]) return;
      seen.add(id);
      for (const m of JSON.stringify(map[id]).matchAll(/"\$ref":"([^"]+)"/g))
        if (m[1]?.startsWith(prefix)) visit(m[1].slice(prefix.length));
    };
    for (const id of roots) visit(id);
    return seen;
  };
  const inputs = reach(input, bodyId.values(), marker);
  const outputs = reach(output, responseId.values(), '#/components/schemas/');
  const plain = (text: string) => text.replaceAll(marker, '#/components/schemas/');
  const twice = new Set(
    [...inputs].filter(
      (id) => outputs.has(id) && JSON.stringify(output[id]) !== plain(JSON.stringify(input[id])),
    ),
  );
  const inputName = (id: string) => (twice.has(id) ? `${id}Input` : id);
  const schemas: Record<string, Json> = {};
  for (const id of outputs) schemas[id] = output[id] as Json;
  for (const id of inputs) {
    const text = JSON.stringify(input[id]).replace(
      /#\/components\/schemas\/~input~([A-Za-z0-9_.-]+)/g,
      (_m, name: string) => `#/components/schemas/${inputName(name)}`,
    );
    schemas[inputName(id)] ??= JSON.parse(text) as Json;
  }
  for (const [route, id] of bodyId) bodyId.set(route, inputName(id));
  return { schemas, bodyId, responseId };
}

function parameters(route: Route) {
  const list: object[] = [];
  for (const [where, schema] of [
    ['path', route.schemas.params],
    ['query', route.schemas.query],
  ] as const) {
    if (!schema) continue;
    const js = toJson(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = s;
      list.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  if (takesIfMatch(route)) {
    list.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The ETag last read: the write goes ahead only over that version, else 412',
      schema: etagList,
    });
  }
  if (route.cacheSeconds !== undefined) {
    list.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'The ETag of a copy the client holds: 304 while it is current',
      schema: etagList,
    });
  }
  if (route.idempotent) {
    list.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'A retry with the same key and body answers the first response instead of creating again',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    });
  }
  return list;
}

/** What the route's fields mean for a client, in a sentence or two each. */
function describe(route: Route): string {
  const lines = [route.description ?? `${route.summary}.`];
  lines.push(
    route.access === 'public'
      ? 'Public: no access token.'
      : route.access === 'admin'
        ? 'Administrators only: a bearer access token of an administrator.'
        : 'Signed in: a bearer access token.',
  );
  if (route.throttle === 'auth') lines.push('Throttled as an authentication route: a much lower rate limit.');
  if (route.idempotent)
    lines.push('Send an `Idempotency-Key` to retry safely: a retry answers the first response.');
  if (takesIfMatch(route))
    lines.push('With `If-Match`, only over the version read (else 412 `stale_version`).');
  if (route.cacheSeconds !== undefined)
    lines.push(`Cacheable for ${route.cacheSeconds} s: \`ETag\`, and 304 to a matching \`If-None-Match\`.`);
  if (route.sensitive) lines.push('Its bodies are never logged.');
  return lines.join(' ');
}

function operation(route: Route, c: Components, versioned: boolean) {
  const success: Json = { description: 'Success' };
  const headers: Json = {};
  if (route.produces) {
    success.content = { [route.produces]: { schema: { type: 'string' } } };
  } else if (c.responseId.has(route)) {
    success.content = { 'application/json': { schema: ref(c.responseId.get(route) as string) } };
  }
  if (route.cacheSeconds !== undefined || versioned) headers.ETag = { $ref: '#/components/headers/ETag' };
  if (route.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
  if (Object.keys(headers).length) success.headers = headers;

  const responses: Record<string, object> = { [String(route.status)]: success };
  if (route.cacheSeconds !== undefined)
    responses['304'] = {
      description: descriptions[304],
      headers: { ETag: { $ref: '#/components/headers/ETag' } },
    };
  const problems = declaredProblems(route);
  const statuses = new Set<number>([...problems.keys(), ...gatewayStatuses(route)]);
  for (const status of [...statuses].sort((a, b) => a - b)) {
    responses[String(status)] = problemResponse(route, status, problems.get(status as DeclaredStatus));
  }
  const bodyId = c.bodyId.get(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: describe(route),
    tags: [route.domain],
    security: route.access === 'public' ? [] : [{ bearer: [] }],
    ...(route.access === 'admin' ? { 'x-eatsential-access': 'admin' } : {}),
    parameters: parameters(route),
    ...(bodyId
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(bodyId) } } } }
      : {}),
    responses,
  };
}

export interface DocumentOptions {
  /** Servers the document names; by default the host that serves it. */
  readonly servers?: readonly { url: string; description: string }[];
}

export function openApiDocument(options: DocumentOptions = {}): Record<string, unknown> {
  const table = routes as readonly Route[];
  const c = components(table);
  const paths: Record<string, Record<string, object>> = {};
  for (const route of table) {
    // A resource written with If-Match: its reads and writes carry the ETag to send.
    const versioned = table.some((r) => r.path === route.path && takesIfMatch(r));
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, c, versioned);
  }
  const used = new Set(table.map((r) => r.domain));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eatsential API',
      version: '1.0.0',
      summary: 'Eat safely and well, and track mental wellness',
      description:
        'The Eatsential mobile API. Errors are `application/problem+json` (RFC 9457) with a stable `code`; ' +
        'each response lists the codes it may carry. API Gateway itself may answer 401, 403, 413, 429, ' +
        '500, 503 and 504 in its own `{"message": ...}` shape (`GatewayError`). The reference is at `/docs`.',
      contact: { name: 'Eatsential backend team' },
      license: { name: 'Proprietary: all rights reserved' },
    },
    servers: options.servers ?? [
      {
        url: '/',
        description: 'The API that serves this document (production, dev or a local server)',
        'x-internal': false,
      },
    ],
    security: [{ bearer: [] }],
    tags: Object.entries(domains)
      .filter(([name]) => used.has(name as never))
      .map(([name, d]) => ({ name, description: d.description })),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The `access_token` of POST /auth/login or /auth/refresh, as `Authorization: Bearer <token>`. ' +
            'An HS256 JWT valid 15 minutes; the session behind it must still be live (logout, revocation, ' +
            'a password change or account deletion end it at once). Renew it with the refresh token. ' +
            'Issued and verified as RFC8725 recommends: one pinned algorithm, issuer, audience, `exp` and `iat` required.',
        },
      },
      headers: {
        RetryAfter: {
          description:
            'Seconds to wait before retrying. API Gateway may throttle without it: then back off exponentially.',
          schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 },
        },
        ETag: { description: 'The version of the answer', schema: { type: 'string' } },
        WWWAuthenticate: { description: 'The bearer challenge', schema: { type: 'string' } },
        IdempotentReplayed: {
          description: '`true` when this is the stored answer of an earlier request with the same key',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      schemas: {
        Problem: problemSchema,
        FieldError: fieldErrorSchema,
        GatewayError: gatewayErrorSchema,
        ...c.schemas,
      },
    },
    paths,
  };
}
