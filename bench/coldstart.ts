/**
 * Cold start: for every Lambda bundle, the whole-process time of `node -e "require(bundle)"` beside
 * the same for a one-line hello-world handler, and the bundle's size. Runs are interleaved (hello,
 * bundle, hello, bundle, ...) so a busy machine slows both alike; the figure is the median.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { allBundles, esbuildOptions } from '../lib/bundling';

const root = join(__dirname, '..');

/** Whole-process wall time of loading `file`, and the CPU time (user + system) it used. */
function processMs(file: string): { wall: number; cpu: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(file)}); const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`loading ${file} failed`);
  return { wall: Number(process.hrtime.bigint() - t) / 1e6, cpu: Number(r.stdout.toString()) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export interface ColdStart {
  readonly name: string;
  readonly kb: number;
  readonly ms: number;
  readonly helloMs: number;
  /** CPU time, which a busy machine disturbs less than wall time. */
  readonly cpuMs: number;
  readonly helloCpuMs: number;
}

export async function coldStarts(runs = Number(process.env.BENCH_COLD_RUNS ?? 15)): Promise<ColdStart[]> {
  // Inside the project, so the AWS SDK (external: the Lambda runtime provides it) resolves from node_modules.
  const dir = join(root, '.local', 'bench', 'bundles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const hello = join(dir, 'hello.js');
  writeFileSync(hello, 'exports.handler = async () => ({ statusCode: 200 });\n');
  const specs = allBundles().filter((b) => b.name !== 'migrate');
  const out: ColdStart[] = [];
  for (const spec of specs) {
    const file = join(dir, `${spec.name}.js`);
    await build({
      ...esbuildOptions,
      external: [...esbuildOptions.external],
      sourcemap: false,
      entryPoints: [join(root, spec.entry)],
      outfile: file,
      bundle: true,
      logLevel: 'silent',
    });
    const helloTimes: { wall: number; cpu: number }[] = [];
    const times: { wall: number; cpu: number }[] = [];
    processMs(hello); // warm the file cache
    processMs(file);
    for (let i = 0; i < runs; i += 1) {
      helloTimes.push(processMs(hello));
      times.push(processMs(file));
    }
    out.push({
      name: spec.name,
      kb: statSync(file).size / 1024,
      ms: median(times.map((t) => t.wall)),
      helloMs: median(helloTimes.map((t) => t.wall)),
      cpuMs: median(times.map((t) => t.cpu)),
      helloCpuMs: median(helloTimes.map((t) => t.cpu)),
    });
  }
  return out;
}

export function printColdStarts(rows: readonly ColdStart[]): void {
  console.log(
    `${'bundle'.padEnd(26)} ${'KB'.padStart(7)} ${'load ms'.padStart(8)} ${'hello ms'.padStart(9)} ${'ratio'.padStart(6)} ${'cpu ms'.padStart(7)} ${'hello'.padStart(6)} ${'ratio'.padStart(6)}   goals: ratio <= 1.30, KB < 300`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(26)} ${r.kb.toFixed(1).padStart(7)} ${r.ms.toFixed(1).padStart(8)} ${r.helloMs.toFixed(1).padStart(9)} ${(r.ms / r.helloMs).toFixed(2).padStart(6)} ${r.cpuMs.toFixed(1).padStart(7)} ${r.helloCpuMs.toFixed(1).padStart(6)} ${(r.cpuMs / r.helloCpuMs).toFixed(2).padStart(6)}`,
    );
  }
}

if (require.main === module) {
  coldStarts()
    .then(printColdStarts)
    .catch((e: unknown) => {
      console.error(`bench failed: ${(e as Error).message}`);
      process.exit(1);
    });
}
