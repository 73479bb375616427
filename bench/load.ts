import type { Sql } from '../functions/core/db';

/**
 * Server-side p50 and p99 of the API's requests to `endpoint` since `since`: the handler's own
 * duration, from audit.access_logs (the direct runs, user agent `bench`, left out).
 */
export async function serverSide(owner: Sql, endpoint: string, method: string, since: Date): Promise<string> {
  const [row] = await owner<{ n: number; p50: number | null; p99: number | null }[]>`
    select count(*)::int as n,
           percentile_cont(0.5) within group (order by response_time_ms)::float8 as p50,
           percentile_cont(0.99) within group (order by response_time_ms)::float8 as p99
    from audit.access_logs
    where endpoint = ${endpoint} and method = ${method} and accessed_at >= ${since}
      and user_agent is distinct from 'bench'`;
  return `${row?.n} requests, p50 ${row?.p50?.toFixed(1)} ms, p99 ${row?.p99?.toFixed(1)} ms`;
}

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
