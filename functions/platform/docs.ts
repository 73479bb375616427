import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../core/errors';

/**
 * The API reference at /docs: Swagger UI (swagger-ui-dist, from npm) rendering /openapi.json.
 * No CDN: its script and stylesheet are served from /docs/assets/, and the page runs under a
 * Content-Security-Policy that allows scripts from this origin only (no inline script).
 */

/** The files of swagger-ui-dist the page uses: bundled next to the platform Lambda (lib/bundling.ts). */
export const viewerFiles = ['swagger-ui-bundle.js', 'swagger-ui.css'] as const;

/** In the Lambda bundle `docs/`; from the source tree (tests, `npm start`), the npm package. */
function viewerDir(): string {
  const candidates = [
    join(__dirname, 'docs'),
    join(__dirname, '..', '..', 'node_modules', 'swagger-ui-dist'),
  ];
  const dir = candidates.find((d) => existsSync(join(d, viewerFiles[0])));
  if (!dir) throw new NotFoundError('The API reference viewer is not installed', { code: 'asset_not_found' });
  return dir;
}

const cache = new Map<string, string>();
export function viewerFile(name: (typeof viewerFiles)[number]): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(viewerDir(), name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Eatsential API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/docs.js"></script>
  </body>
</html>
`;

/** Starts the viewer on this origin's document (an external script: the policy allows no inline one). */
export const starter = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    displayOperationId: true,
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
`;
