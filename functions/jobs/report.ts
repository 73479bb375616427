import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from '../core/log';

/** What a job did: a structured log line and Powertools metrics (CloudWatch EMF) per run. */
export interface JobReport {
  readonly job: string;
  readonly seconds: number;
  readonly [detail: string]: unknown;
}

/**
 * Runs a job and reports it: its duration and every top-level numeric detail of its result
 * (rows, accounts, ages...) become metrics of namespace Eatsential/Jobs with dimension `job`.
 * Locally (`npm run job`) the CLI sets POWERTOOLS_METRICS_DISABLED, so only the report prints.
 */
export async function reported<T extends Record<string, unknown>>(
  job: string,
  work: () => Promise<T>,
): Promise<JobReport & T> {
  const started = performance.now();
  const result = await work();
  const report = { job, ...result, seconds: Math.round(performance.now() - started) / 1000 };
  logger.info('job finished', report);
  const metrics = new Metrics({ namespace: 'Eatsential/Jobs', serviceName: 'eatsential-jobs' });
  metrics.addDimension('job', job);
  metrics.addMetric('seconds', MetricUnit.Seconds, report.seconds);
  for (const [name, value] of Object.entries(result)) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      metrics.addMetric(name, /seconds$/i.test(name) ? MetricUnit.Seconds : MetricUnit.Count, value);
    }
  }
  metrics.publishStoredMetrics();
  return report;
}

/** Progress of a long job: rows done so far, out of `total` when it is known. */
export type Progress = (done: number, total?: number) => void;

/**
 * A progress line on the terminal (stderr), at most once a second: rows done, rate, time left.
 * Lambda runs pass none.
 */
export function terminalProgress(
  job: string,
  write: (line: string) => void = (l) => process.stderr.write(l),
) {
  const started = performance.now();
  let last = 0;
  const line = (done: number, total?: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = total !== undefined && rate > 0 ? Math.max(0, (total - done) / rate) : undefined;
    return (
      `${job}: ${done}${total !== undefined ? `/${total}` : ''} rows, ${Math.round(rate)} rows/s` +
      (left !== undefined ? `, ${Math.ceil(left)} s left` : '')
    );
  };
  const progress: Progress = (done, total) => {
    const now = performance.now();
    if (now - last < 1000) return;
    last = now;
    write(`\r${line(done, total)}`);
  };
  return {
    progress,
    done: (done: number, total?: number) => {
      if (last > 0) write(`\r${line(done, total)}\n`);
    },
  };
}
