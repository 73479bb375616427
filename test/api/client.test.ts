import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declaredProblems, declaredStatuses } from '../../functions/core/contract';
import type { Route } from '../../functions/core/route';
import { openApiDocument } from '../../functions/openapi/document';
import { routes } from '../../functions/routes';
import { repoRoot } from '../support';

/**
 * A mobile team's client: openapi-typescript generates the types from the document, and the
 * TypeScript compiler proves that every status of every route is typed, each problem with exactly
 * the codes the route table declares, and API Gateway's own answers with their shape.
 */
describe('a TypeScript client generated from the document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-client-'));
  const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });

  it('types every error status of every route, with the codes it declares', () => {
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(openApiDocument()));
    const generated = node([
      join(repoRoot, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'),
      join(dir, 'openapi.json'),
      '-o',
      join(dir, 'api.ts'),
    ]);
    expect(generated.stderr).not.toMatch(/error/i);
    expect(generated.status).toBe(0);

    const lines = [
      "import type { components, operations } from './api';",
      'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;',
      'declare function typed<T extends true>(): void;',
      "type Gateway = components['schemas']['GatewayError'];",
    ];
    let checks = 0;
    for (const route of routes as readonly Route[]) {
      const at = `operations['${route.operationId}']['responses']`;
      const problems = declaredProblems(route);
      for (const status of declaredStatuses(route)) {
        lines.push(`type _${route.operationId}_${status} = ${at}[${status}];`);
        const codes = problems.get(status as never);
        if (codes) {
          const union = codes.map((c) => `'${c}'`).join(' | ');
          lines.push(
            `typed<Equal<${at}[${status}]['content']['application/problem+json']['code'], ${union}>>();`,
          );
        }
        checks += 1;
      }
      for (const status of [429, 500, 503, 504]) {
        lines.push(`typed<Equal<${at}[${status}]['content']['application/json'], Gateway>>();`);
        checks += 1;
      }
      if (route.access !== 'public')
        lines.push(`typed<Equal<${at}[403]['content']['application/json'], Gateway>>();`);
    }
    writeFileSync(join(dir, 'check.ts'), `${lines.join('\n')}\n`);
    const compiled = node([
      join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '--strict',
      '--noUnusedLocals',
      'false',
      '--target',
      'es2022',
      '--moduleResolution',
      'bundler',
      '--module',
      'esnext',
      join(dir, 'check.ts'),
    ]);
    expect(compiled.stdout).toBe('');
    expect(compiled.status).toBe(0);
    expect(checks).toBeGreaterThan(routes.length * 8);
  }, 300_000);

  it('the same compiler check fails a status or a code the document does not declare', () => {
    writeFileSync(
      join(dir, 'wrong.ts'),
      [
        "import type { operations } from './api';",
        'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;',
        'declare function typed<T extends true>(): void;',
        "type _missing = operations['login']['responses'][404];",
        "typed<Equal<operations['login']['responses'][401]['content']['application/problem+json']['code'], 'invalid_token'>>();",
      ].join('\n'),
    );
    const compiled = node([
      join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '--strict',
      '--moduleResolution',
      'bundler',
      '--module',
      'esnext',
      join(dir, 'wrong.ts'),
    ]);
    expect(compiled.status).not.toBe(0);
    expect(compiled.stdout).toMatch(/wrong\.ts\(4,.*404/);
    expect(compiled.stdout).toMatch(/wrong\.ts\(5,/);
  }, 300_000);
});
