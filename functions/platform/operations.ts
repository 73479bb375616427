import type { Operations } from '../core/operation';
import { openApiDocument } from '../openapi/document';

let document: Record<string, unknown> | undefined;

export const operations: Operations<'platform'> = {
  async getHealth({ sql }) {
    await sql`select 1`;
    return { status: 'ok' as const };
  },
  async getOpenApi() {
    document ??= openApiDocument();
    return document as { openapi: string };
  },
};
