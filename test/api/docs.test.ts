import { spawnSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { routes } from '../../functions/routes';
import { useApi } from '../support';

const api = useApi();

/** Debian's chromium (.ci/run installs it); without it the browser checks are skipped, saying so. */
const chromiumPath = ['chromium', 'chromium-browser']
  .map((name) => spawnSync('which', [name], { encoding: 'utf8' }).stdout.trim())
  .find(Boolean);
if (!chromiumPath)
  console.warn(
    'test/api/docs.test.ts: no chromium on this machine (apt-get install chromium): browser checks skipped',
  );
const inBrowser = chromiumPath ? it : it.skip;

describe('GET /docs', () => {
  it('is a page that loads only scripts of this origin, under a strict Content-Security-Policy', async () => {
    const r = await api.request('GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp.match(/script-src ([^;]*)/)?.[1]).toBe("'self'");
    expect(csp).toContain("default-src 'none'");
    const html = r.body as string;
    // Every script is a file of this origin: no inline code, no CDN.
    expect([...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => [m[1], m[2]])).toEqual([
      [' src="/docs/assets/swagger-ui-bundle.js"', ''],
      [' src="/docs/assets/docs.js"', ''],
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    for (const [path, type] of [
      ['/docs/assets/swagger-ui-bundle.js', 'text/javascript'],
      ['/docs/assets/docs.js', 'text/javascript'],
      ['/docs/assets/swagger-ui.css', 'text/css'],
    ] as const) {
      const asset = await api.request('GET', path);
      expect([path, asset.status, asset.headers.get('content-type')?.split(';')[0]]).toEqual([
        path,
        200,
        type,
      ]);
      expect(asset.headers.get('etag')).toBeTruthy();
      const again = await api.request('GET', path, {
        headers: { 'if-none-match': asset.headers.get('etag')! },
      });
      expect(again.status).toBe(304);
    }
  });

  describe('in headless Chromium', () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      if (chromiumPath)
        browser = await chromium.launch({
          executablePath: chromiumPath,
          args: ['--no-sandbox', '--disable-gpu'],
        });
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
    });

    inBrowser(
      'lists every operation of the route table, and "try it out" on GET /health answers 200',
      async () => {
        const page = await browser!.newPage();
        page.setDefaultTimeout(120_000);
        const refused: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
        });
        page.on('pageerror', (e) => refused.push(e.message));
        await page.goto(`${api.url}/docs`);
        await page.waitForSelector('.opblock', { timeout: 180_000 });

        const listed = await page.$$eval('.opblock', (blocks) =>
          blocks.map((b) => {
            const method = b.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
            const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
            return `${method.toUpperCase()} ${path}`;
          }),
        );
        expect(listed.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());

        const health = page.locator('.opblock-get', { has: page.locator('[data-path="/health"]') });
        await health.locator('.opblock-summary').first().click();
        await health.getByRole('button', { name: 'Try it out' }).click();
        await health.getByRole('button', { name: 'Execute' }).click();
        const status = health.locator('.live-responses-table .response .response-col_status').first();
        await status.waitFor({ timeout: 120_000 });
        expect((await status.textContent())?.trim()).toMatch(/^200/);
        expect(
          await health
            .locator('.live-responses-table .response .response-col_description')
            .first()
            .textContent(),
        ).toContain('"status": "ok"');
        if (process.env.DOCS_SCREENSHOT)
          await page.screenshot({ path: process.env.DOCS_SCREENSHOT, fullPage: false });
        // No script or style was refused by the page's policy, and the page threw nothing.
        expect(refused).toEqual([]);
      },
      300_000,
    );
  });
});
