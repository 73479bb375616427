/**
 * `npm run openapi:lint`: writes the OpenAPI document to dist/openapi/openapi.json and lints it with
 * Spectral (.spectral.mjs: Spectral's OpenAPI rules and the OWASP API Security ruleset). Any
 * finding, down to a hint, fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../functions/openapi/document';

const root = join(__dirname, '..');
// Inside the project (dist/ is ignored): the ruleset's overrides name it relative to themselves.
mkdirSync(join(root, 'dist', 'openapi'), { recursive: true });
const file = join(root, 'dist', 'openapi', 'openapi.json');
writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
const spectral = join(root, 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js');
const run = spawnSync(
  process.execPath,
  [spectral, 'lint', '--ruleset', join(root, '.spectral.mjs'), '--fail-severity', 'hint', file],
  { stdio: 'inherit' },
);
process.exitCode = run.status ?? 1;
