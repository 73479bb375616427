/**
 * Every scheduled job: the infrastructure makes an EventBridge schedule and a Lambda for each
 * entry, and `npm run job -- <name>` runs the same `run` export locally.
 */
export interface JobDefinition {
  readonly name: string;
  readonly description: string;
  /** EventBridge Scheduler expression, evaluated in UTC. */
  readonly schedule: string;
  /** Module exporting `handler` (Lambda) and `run` (shared by Lambda and local runner). */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** What the job may touch beyond the database, for least-privilege grants. */
  readonly needs: { readonly backupBucket?: 'write'; readonly noteKeyring?: boolean };
}

export const jobs: readonly JobDefinition[] = [
  {
    name: 'partitions',
    description: 'Creates the monthly audit.access_logs partitions ahead of time',
    schedule: 'cron(15 2 * * ? *)',
    entry: 'functions/jobs/partitions/handler.ts',
    timeoutSeconds: 60,
    memoryMb: 256,
    needs: {},
  },
  {
    name: 'idempotency-keys',
    description: 'Deletes idempotency keys (and the first answers they keep) after their 24 hours',
    schedule: 'cron(40 * * * ? *)',
    entry: 'functions/jobs/idempotencyKeys/handler.ts',
    timeoutSeconds: 120,
    memoryMb: 256,
    needs: {},
  },
];

export function findJob(name: string): JobDefinition | undefined {
  return jobs.find((j) => j.name === name);
}
