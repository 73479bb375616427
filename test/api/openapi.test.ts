import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes } from '../../functions/routes';
import { declaredProblems, declaredStatuses } from '../../functions/core/contract';
import type { Route } from '../../functions/core/route';
import { repoRoot, useApi } from '../support';

const api = useApi();

/** The validator is an ES module with import.meta: it runs in its own Node process, through its CLI. */
function validateOpenApi(document: unknown): { status: number | null; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'eatsential-openapi-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(document));
  const cli = join(
    repoRoot,
    'node_modules',
    '@seriousme',
    'openapi-schema-validator',
    'bin',
    'validate-api-cli.js',
  );
  const out = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document with every route of the route table', async () => {
    const r = await api.request('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');

    const validation = validateOpenApi(r.body);
    expect(validation.output).toContain('"valid": true');
    expect(validation.status).toBe(0);

    const documented = Object.entries(
      r.body.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(routes.map((rt) => `${rt.method} ${rt.path} ${rt.operationId}`).sort());
  });

  it('declares the preconditions: If-Match and 412 on writes by version, If-None-Match and 304 on cacheable reads', async () => {
    const { body: doc } = await api.request('GET', '/openapi.json');
    type Op = { parameters: { name: string }[]; responses: Record<string, unknown> };
    const op = (path: string, method: string) => doc.paths[path][method] as Op;
    for (const path of ['/me/health-profile', '/me/preferences']) {
      expect(op(path, 'put').parameters.map((p) => p.name)).toContain('If-Match');
      expect(Object.keys(op(path, 'put').responses)).toContain('412');
    }
    const reference = op('/reference/allergens', 'get');
    expect(reference.parameters.map((p) => p.name)).toContain('If-None-Match');
    expect(Object.keys(reference.responses)).toContain('304');
  });

  type Media = {
    schema: { $ref?: string; allOf?: [{ $ref: string }, { properties: { code: { enum: string[] } } }] };
  };
  type Responses = Record<string, { content?: Record<string, Media>; headers?: Record<string, unknown> }>;
  const operationOf = (doc: { paths: Record<string, Record<string, { responses: Responses }>> }, r: Route) =>
    doc.paths[r.path]![r.method.toLowerCase()]!;
  const codesOf = (responses: Responses, status: number) =>
    responses[String(status)]?.content?.['application/problem+json']?.schema.allOf?.[1].properties.code.enum;

  it('declares every status of every route, each problem with the enum of its codes, and 429 with Retry-After', async () => {
    const { body: doc } = await api.request('GET', '/openapi.json');
    for (const route of routes as readonly Route[]) {
      const { responses } = operationOf(doc, route);
      const documented = Object.keys(responses).map(Number);
      for (const status of declaredStatuses(route)) expect(documented).toContain(status);
      for (const [status, codes] of declaredProblems(route)) {
        expect([route.operationId, status, codesOf(responses, status)]).toEqual([
          route.operationId,
          status,
          codes,
        ]);
        expect(responses[String(status)]?.content?.['application/problem+json']?.schema.allOf?.[0].$ref).toBe(
          '#/components/schemas/Problem',
        );
      }
      expect(responses['429']?.headers).toHaveProperty('Retry-After');
      // API Gateway's own answers, in their own shape.
      for (const status of [413, 429, 500, 503, 504])
        expect(responses[String(status)]?.content?.['application/json']?.schema.$ref).toBe(
          '#/components/schemas/GatewayError',
        );
    }
    const byId = (id: string) => (routes as readonly Route[]).find((r) => r.operationId === id)!;
    const at = (id: string) => operationOf(doc, byId(id)).responses;
    expect(codesOf(at('login'), 401)).toEqual(['invalid_credentials']);
    expect(codesOf(at('login'), 403)).toEqual(['email_not_verified']);
    expect(codesOf(at('refresh'), 401)).toEqual(['invalid_token', 'refresh_token_reused']);
    expect(codesOf(at('register'), 409)).toEqual(['idempotency_request_in_progress', 'username_taken']);
    expect(codesOf(at('updateMe'), 409)).toEqual(['username_taken']);
    expect(codesOf(at('changePassword'), 403)).toEqual(['account_locked', 'invalid_current_password']);
    expect(codesOf(at('getMe'), 401)).toEqual([
      'invalid_token',
      'missing_token',
      'session_ended',
      'token_expired',
    ]);
    expect(codesOf(at('listUsers'), 403)).toEqual(['admin_only']);
  });

  it('names every request and success body, and the problem, as components', async () => {
    const { body: doc } = await api.request('GET', '/openapi.json');
    const schemas = doc.components.schemas as Record<string, unknown>;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Problem', 'GatewayError', 'Me', 'TokenPair', 'Allergy']),
    );
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(schemas).toHaveProperty([m[1]!]);
    for (const route of routes as readonly Route[]) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      if (route.schemas.body)
        expect(op.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//);
      const json = op.responses[String(route.status)].content?.['application/json'];
      if (route.schemas.response && route.status !== 204 && !route.produces)
        expect(json.schema.$ref).toMatch(/^#\/components\/schemas\//);
      expect(op.description).toEqual(expect.any(String));
      expect(op.tags).toEqual([route.domain]);
    }
    // Integer formats from the bounds: a page size fits int32, an unbounded integer is int64.
    const limit = doc.paths['/me/sessions'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', format: 'int32', minimum: 1, maximum: 100 });
    expect(schemas.TokenPair).toMatchObject({
      properties: { expires_in: { type: 'integer', format: 'int64' } },
    });
    expect(doc.info).toMatchObject({
      contact: { name: expect.any(String) },
      license: { name: expect.any(String) },
    });
    expect(doc.components.securitySchemes.bearer.description).toMatch(/Bearer/);
  });

  it('a broken document fails the same validation', () => {
    expect(
      validateOpenApi({ openapi: '3.1.0', paths: { '/x': { get: { responses: 'nope' } } } }).status,
    ).not.toBe(0);
  });
});

describe('npm run openapi', () => {
  it('writes openapi.json where neither lint nor git looks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'eatsential-openapi-')), 'openapi.json');
    const written = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'functions', 'openapi', 'cli.ts'), out],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(written.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).openapi).toBe('3.1.0');

    const prettier = join(repoRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    const info = spawnSync(process.execPath, [prettier, '--file-info', 'openapi.json'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(JSON.parse(info.stdout)).toMatchObject({ ignored: true });
    expect(spawnSync('git', ['check-ignore', '-q', 'openapi.json'], { cwd: repoRoot }).status).toBe(0);
  });
});
