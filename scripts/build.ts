/**
 * `npm run build`: bundles every Lambda (each domain, each job, the authorizer, the migrate
 * Lambda) with the esbuild options `cdk synth` uses, into dist/<name>/index.js, and prints the
 * bundle sizes. Sizes never fail the build; a missing entry or a compile error does.
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { allBundles, esbuildOptions, type BundleSpec } from '../lib/bundling';

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const warnAboveKb = 500;

interface Built {
  readonly name: string;
  readonly entry: string;
  readonly kb?: number;
  readonly mapKb?: number;
  readonly copied?: number;
  readonly error?: string;
}

async function bundle(spec: BundleSpec): Promise<Built> {
  const out = join(dist, spec.name);
  if (!existsSync(join(root, spec.entry)))
    return { name: spec.name, entry: spec.entry, error: 'entry file does not exist' };
  await rm(out, { recursive: true, force: true });
  try {
    await build({
      ...esbuildOptions,
      external: [...esbuildOptions.external],
      entryPoints: [join(root, spec.entry)],
      outfile: join(out, 'index.js'),
      bundle: true,
      logLevel: 'silent',
    });
  } catch (e) {
    return {
      name: spec.name,
      entry: spec.entry,
      error: e instanceof Error ? e.message.split('\n')[0] : String(e),
    };
  }
  let copied = 0;
  for (const c of spec.copy ?? []) {
    const from = join(root, c.from);
    const to = join(out, c.to);
    await mkdir(to, { recursive: true });
    for (const f of existsSync(from) ? await readdir(from) : []) {
      if (!f.endsWith(c.suffix)) continue;
      await copyFile(join(from, f), join(to, f));
      copied += 1;
    }
  }
  const size = async (f: string) => ((await stat(join(out, f)).catch(() => undefined))?.size ?? 0) / 1024;
  return {
    name: spec.name,
    entry: spec.entry,
    kb: await size('index.js'),
    mapKb: await size('index.js.map'),
    copied,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const results = await Promise.all(allBundles().map(bundle));
  const rows = results.map((r) => [
    r.name,
    r.entry,
    r.kb === undefined ? '-' : r.kb.toFixed(1),
    r.mapKb === undefined ? '-' : r.mapKb.toFixed(1),
    r.error
      ? `FAILED: ${r.error}`
      : [r.kb! > warnAboveKb ? `over ${warnAboveKb} KB` : '', r.copied ? `+${r.copied} files` : '']
          .filter(Boolean)
          .join(', '),
  ]);
  const header = ['lambda', 'entry', 'KB', 'map KB', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  const total = results.reduce((sum, r) => sum + (r.kb ?? 0), 0);
  console.log(
    `\n${results.length} Lambdas, ${total.toFixed(1)} KB of code, in ${((Date.now() - started) / 1000).toFixed(1)} s (dist/<name>/index.js)`,
  );
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
