import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Route } from './route';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';

/** Bodies above this are refused before parsing. */
export const maxBodyBytes = 1024 * 1024;

export interface ParsedInput {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

function fieldErrors(error: z.ZodError, prefix: string) {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
}

function check(schema: z.ZodType | undefined, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BadRequestError(`The request ${where === 'params' ? 'path' : where} is not valid`, {
      code: 'validation_failed',
      errors: fieldErrors(result.error, where),
    });
  }
  return result.data;
}

function readBody(route: Route, event: APIGatewayProxyEventV2): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) {
    throw new PayloadTooLargeError('The request body is larger than 1 MB', { code: 'body_too_large' });
  }
  const schema = route.schemas.body;
  if (text.trim() === '') return schema ? check(schema, undefined, 'body') : undefined;
  if (!schema) throw new BadRequestError('This route takes no request body', { code: 'unexpected_body' });
  const type = (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json', {
      code: 'unsupported_media_type',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError('The request body is not valid JSON', { code: 'malformed_json' });
  }
  return check(schema, json, 'body');
}

/** Validates a request against its route: path parameters, query string, then body. */
export function parseInput(route: Route, event: APIGatewayProxyEventV2): ParsedInput {
  const schemas = route.schemas;
  const query = event.queryStringParameters ?? {};
  if (!schemas.query && Object.keys(query).length > 0) {
    throw new BadRequestError('This route takes no query parameters', { code: 'unexpected_query' });
  }
  return {
    params: check(schemas.params, event.pathParameters ?? {}, 'params'),
    query: check(schemas.query, query, 'query'),
    body: readBody(route, event),
  };
}
