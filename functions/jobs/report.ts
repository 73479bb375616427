import { logger } from '../core/log';

/** What a job did: a structured log line (and an EMF metric CloudWatch extracts) per run. */
export interface JobReport {
  readonly job: string;
  readonly seconds: number;
  readonly [detail: string]: unknown;
}

export async function reported<T extends Record<string, unknown>>(
  job: string,
  work: () => Promise<T>,
): Promise<JobReport & T> {
  const started = performance.now();
  const result = await work();
  const report = { job, ...result, seconds: Math.round(performance.now() - started) / 1000 };
  logger.info('job finished', {
    ...report,
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: 'Eatsential/Jobs',
          Dimensions: [['job']],
          Metrics: [{ Name: 'seconds', Unit: 'Seconds' }],
        },
      ],
    },
  });
  return report;
}
