import * as z from 'zod';
import { routes } from '../routes';
import type { Route } from '../core/route';

const problem = {
  description: 'Problem details (RFC 9457)',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'code'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string', description: 'Stable, machine-readable error code' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

function parameters(route: Route) {
  const list: object[] = [];
  for (const [where, schema] of [
    ['path', route.schemas.params],
    ['query', route.schemas.query],
  ] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      list.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        schema: s,
      });
    }
  }
  if (route.method === 'PUT') {
    list.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The ETag last read: the write goes ahead only over that version, else 412',
      schema: { type: 'string' },
    });
  }
  if (route.cacheSeconds !== undefined) {
    list.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'The ETag of a copy the client holds: 304 while it is current',
      schema: { type: 'string' },
    });
  }
  if (route.idempotent) {
    list.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'A retry with the same key and body answers the first response instead of creating again',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  return list;
}

function operation(route: Route) {
  const errors: Record<string, object> = { '400': problem, '500': problem };
  if (route.schemas.body) {
    errors['413'] = problem;
    errors['415'] = problem;
    errors['422'] = problem;
  }
  if (route.access !== 'public') errors['401'] = problem;
  if (route.access === 'admin') errors['403'] = problem;
  if (route.schemas.params) errors['404'] = problem;
  if (route.throttle === 'auth') errors['429'] = problem;
  if (route.method === 'PUT') errors['412'] = problem;
  if (route.cacheSeconds !== undefined)
    errors['304'] = { description: 'Not modified: the copy whose ETag was sent is current' };
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.domain],
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(route.access === 'admin' ? { 'x-eatsential-access': 'admin' } : {}),
    parameters: parameters(route),
    ...(route.schemas.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.schemas.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [String(route.status)]:
        route.schemas.response && route.status !== 204
          ? {
              description: 'Success',
              content: { 'application/json': { schema: jsonSchema(route.schemas.response, 'output') } },
            }
          : { description: 'Success' },
      ...errors,
    },
  };
}

/** OpenAPI 3.1 of every route in the route table, its JSON Schemas derived from the zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes as readonly Route[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eatsential API',
      version: '1.0.0',
      description: 'Eat safely and well, and track mental wellness: the Eatsential mobile API.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
