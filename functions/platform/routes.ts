import * as z from 'zod';
import type { Route } from '../core/route';

/** The platform's slice of the route table: service documents. */
export const platformRoutes = [
  {
    method: 'GET',
    path: '/health',
    domain: 'platform',
    access: 'public',
    operationId: 'getHealth',
    summary: 'Liveness of the API and its database',
    status: 200,
    schemas: { response: z.strictObject({ status: z.literal('ok') }) },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    domain: 'platform',
    access: 'public',
    operationId: 'getOpenApi',
    summary: 'This API described as OpenAPI 3.1',
    status: 200,
    schemas: { response: z.looseObject({ openapi: z.string() }) },
  },
] as const satisfies readonly Route<'platform'>[];
