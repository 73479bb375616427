/**
 * Every scheduled job: the infrastructure makes an EventBridge schedule and a Lambda for each
 * entry, and `npm run job -- <name>` runs the same `run` export locally.
 */
import type { JobRole } from '../core/db';

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
  readonly needs: {
    readonly backupBucket?: 'write';
    readonly noteKeyring?: boolean;
    /** `ses:SendEmail` on the mail identity, `MAIL_FROM` and `APP_BASE_URL`. */
    readonly sendsEmail?: boolean;
  };
  /** The database role the job runs as (sql/README.md lists what each may do). */
  readonly role: JobRole;
}

export const jobs: readonly JobDefinition[] = [
  {
    name: 'mail-outbox',
    description:
      'Sends the queued identity emails (auth.mail_outbox): retries with backoff, each message at most once',
    schedule: 'rate(1 minute)',
    entry: 'functions/jobs/mailOutbox/handler.ts',
    timeoutSeconds: 50,
    memoryMb: 256,
    needs: { noteKeyring: true, sendsEmail: true },
    role: 'eatsential_job_mail_outbox',
  },
  {
    name: 'partitions',
    description: 'Creates the monthly audit.access_logs partitions ahead of time',
    schedule: 'cron(15 2 * * ? *)',
    entry: 'functions/jobs/partitions/handler.ts',
    timeoutSeconds: 60,
    memoryMb: 256,
    needs: {},
    role: 'eatsential_job_partitions',
  },
  {
    name: 'idempotency-keys',
    description: 'Deletes idempotency keys (and the first answers they keep) after their 24 hours',
    schedule: 'cron(40 * * * ? *)',
    entry: 'functions/jobs/idempotencyKeys/handler.ts',
    timeoutSeconds: 120,
    memoryMb: 256,
    needs: {},
    role: 'eatsential_job_idempotency_keys',
  },
  {
    name: 'purge-deleted-accounts',
    description:
      'Erases soft-deleted accounts: every row removed, audit rows unlinked, the erasure ledger completed',
    schedule: 'cron(5 * * * ? *)',
    entry: 'functions/jobs/purge/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 512,
    needs: {},
    role: 'eatsential_job_purge',
  },
  {
    name: 'anonymise-wellness',
    description: 'Moves mental-wellness rows older than the horizon into anonymous weekly statistics',
    schedule: 'cron(20 3 * * ? *)',
    entry: 'functions/jobs/anonymise/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 512,
    needs: {},
    role: 'eatsential_job_anonymise',
  },
  {
    name: 'rotate-note-keys',
    description:
      "Re-encrypts every note ciphertext not under the keyring's current key; counts per key version",
    schedule: 'cron(0 4 ? * SUN *)',
    entry: 'functions/jobs/rekey/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 512,
    needs: { noteKeyring: true },
    role: 'eatsential_job_rekey',
  },
  {
    name: 'backup-export',
    description:
      'Exports every table from one snapshot (COPY, gzip, SSE-KMS multipart) with a manifest of row counts and SHA-256',
    schedule: 'cron(30 1 * * ? *)',
    entry: 'functions/jobs/backup/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    needs: { backupBucket: 'write' },
    role: 'eatsential_job_backup',
  },
  {
    name: 'access-log-retention',
    description:
      'Exports and drops access-log partitions past the retention; removes ended sessions and spent tokens',
    schedule: 'cron(45 2 1 * ? *)',
    entry: 'functions/jobs/retention/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 512,
    needs: { backupBucket: 'write' },
    role: 'eatsential_job_retention',
  },
];

export function findJob(name: string): JobDefinition | undefined {
  return jobs.find((j) => j.name === name);
}
