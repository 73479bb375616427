/** Runs `task` from `concurrency` workers for `seconds`; returns each call's latency in ms. */
export async function load(
  concurrency: number,
  seconds: number,
  task: () => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await task();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

export interface Figures {
  readonly name: string;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

export function figures(name: string, latencies: number[], seconds: number): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { name, requests: sorted.length, perSecond: sorted.length / seconds, p50: at(0.5), p99: at(0.99) };
}

export function printTable(rows: readonly Figures[]): void {
  console.log(
    `${'path'.padEnd(44)} ${'requests'.padStart(9)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)} ${String(r.requests).padStart(9)} ${r.perSecond.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`,
    );
  }
}
