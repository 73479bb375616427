import type { Operations } from '../core/operation';
import { RawBody, Reply } from '../core/operation';
import { contentSecurityPolicy, page, starter, viewerFile } from './docs';

let document: Record<string, unknown> | undefined;

const pageHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export const operations: Operations<'platform'> = {
  async getHealth({ sql }) {
    await sql`select 1`;
    return { status: 'ok' as const };
  },
  async getOpenApi() {
    // Built by the first request for it: it needs every domain's route table, which nothing else
    // here does, so a cold start does not pay for them.
    document ??= (await import('../openapi/document')).openApiDocument();
    return document as { openapi: string };
  },
  async getDocs() {
    return new Reply(200, new RawBody('text/html; charset=utf-8', page), pageHeaders);
  },
  async getDocsScript() {
    return new Reply(200, new RawBody('text/javascript; charset=utf-8', starter));
  },
  async getDocsViewerScript() {
    return new Reply(200, new RawBody('text/javascript; charset=utf-8', viewerFile('swagger-ui-bundle.js')));
  },
  async getDocsViewerStyle() {
    return new Reply(200, new RawBody('text/css; charset=utf-8', viewerFile('swagger-ui.css')));
  },
};
