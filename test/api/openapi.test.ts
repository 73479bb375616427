import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes } from '../../functions/routes';
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
