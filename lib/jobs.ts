import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDefinition } from '../functions/jobs/table';
import type { Backups } from './backups';
import { jobBundleName } from './bundling';
import type { Database } from './database';
import { AppFunction, type FunctionDefaults } from './lambda';
import { acknowledge, reasons, wildcardResource } from './nag';

export interface JobsProps {
  /** The job table (`functions/jobs/table.ts`). */
  readonly jobs: readonly JobDefinition[];
  readonly defaults: FunctionDefaults;
  /** Jobs reach the database through its proxy. */
  readonly database: Database;
  /** The `eatsential_jobs` login secret. */
  readonly dbSecret: secretsmanager.ISecret;
  /** Read by jobs with `needs.noteKeyring`. */
  readonly noteKeyring: secretsmanager.ISecret;
  /**
   * What jobs with `needs.sendsEmail` get: `MAIL_FROM` and `APP_BASE_URL`, and `ses:SendEmail` on
   * the mail identity only.
   * @default - no job may send email
   */
  readonly mail?: {
    readonly environment: Readonly<Record<string, string>>;
    readonly statement: iam.PolicyStatement;
  };
  /** Written by jobs with `needs.backupBucket: 'write'`. */
  readonly backups: Backups;
  /** Encrypts the dead-letter queues (and, through S3, the exports). */
  readonly key: kms.IKey;
  /**
   * Settings every job reads from its environment (e.g. `WELLNESS_HORIZON_DAYS`).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retries of a failed invocation, by the scheduler and by Lambda's asynchronous invoke.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Give up on an invocation this long after its scheduled time.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

/**
 * One EventBridge Scheduler schedule (UTC) and one Lambda per entry of the job table, each
 * with its own KMS-encrypted dead-letter queue (for invocations the scheduler cannot deliver and
 * runs that fail every retry), a retry policy, and reserved concurrency 1 so a run never
 * overlaps the previous one.
 */
export class Jobs extends Construct {
  public readonly functions: Readonly<Record<string, AppFunction>>;
  public readonly deadLetterQueues: Readonly<Record<string, sqs.Queue>>;
  public readonly schedules: Readonly<Record<string, scheduler.Schedule>>;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 2;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 2) {
      throw new Error('Job retries must be 0, 1 or 2 (the most Lambda asynchronous invocation allows)');
    }
    if (maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > 6 * 3600) {
      throw new Error('The maximum event age of a job must be 1 minute to 6 hours');
    }
    const names = new Set<string>();
    for (const job of props.jobs) {
      if (!/^[a-z][a-z0-9-]*$/.test(job.name))
        throw new Error(`Job name "${job.name}" must be lowercase letters, digits and dashes`);
      if (names.has(job.name)) throw new Error(`Job "${job.name}" appears twice in the job table`);
      names.add(job.name);
      if (!/^(cron|rate)\(.+\)$/.test(job.schedule)) {
        throw new Error(
          `Job "${job.name}": schedule "${job.schedule}" is not a cron(...) or rate(...) expression`,
        );
      }
    }

    const sqsService = `sqs.${Stack.of(this).region}.amazonaws.com`;
    const functions: Record<string, AppFunction> = {};
    const queues: Record<string, sqs.Queue> = {};
    const schedules: Record<string, scheduler.Schedule> = {};
    for (const job of props.jobs) {
      const cid = job.name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

      const dlq = new sqs.Queue(this, `${cid}DeadLetters`, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(dlq, {
        'AwsSolutions-SQS3': `This queue is itself the dead-letter queue of job ${job.name} (its schedule and its Lambda); an alarm fires on its first message.`,
      });

      const environment: Record<string, string> = {
        ...props.environment,
        DB_HOST: props.database.proxy.endpoint,
        DB_PORT: String(props.database.port),
        DB_NAME: props.database.databaseName,
        DB_SECRET_ARN: props.dbSecret.secretArn,
      };
      if (job.needs.backupBucket === 'write') {
        environment.BACKUP_BUCKET = props.backups.bucket.bucketName;
        // Uploads name the bucket's own key (SSE-KMS), not the account's aws/s3 key.
        environment.BACKUP_KEY_ARN = props.key.keyArn;
      }
      if (job.needs.noteKeyring) environment.NOTE_KEYRING_SECRET_ARN = props.noteKeyring.secretArn;
      if (job.needs.sendsEmail) {
        if (!props.mail) throw new Error(`Job "${job.name}" sends email, but no mail settings were given`);
        Object.assign(environment, props.mail.environment);
      }

      const fn = new AppFunction(this, cid, {
        defaults: props.defaults,
        bundle: { name: jobBundleName(job.name), entry: job.entry },
        description: job.description,
        memoryMb: job.memoryMb,
        timeout: Duration.seconds(job.timeoutSeconds),
        reservedConcurrency: 1,
        environment,
        deadLetterQueue: dlq,
        retryAttempts,
        maxEventAge,
      });
      props.dbSecret.grantRead(fn.function);
      props.database.allowClientsFrom(fn.securityGroup, `Job ${job.name}`);
      if (job.needs.noteKeyring) props.noteKeyring.grantRead(fn.function);
      if (job.needs.sendsEmail && props.mail) fn.function.addToRolePolicy(props.mail.statement);
      if (job.needs.backupBucket === 'write') props.backups.grantWrite(fn.function.role!);

      const schedulerRole = new iam.Role(this, `${cid}SchedulerRole`, {
        description: `EventBridge Scheduler invokes job ${job.name}`,
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      });
      const schedule = new scheduler.Schedule(this, `${cid}Schedule`, {
        description: `${job.name}: ${job.description}`,
        schedule: scheduler.ScheduleExpression.expression(job.schedule, TimeZone.ETC_UTC),
        target: new targets.LambdaInvoke(fn.function, {
          role: schedulerRole,
          deadLetterQueue: dlq,
          retryAttempts,
          maxEventAge,
        }),
      });
      // Both the function (failed asynchronous runs) and the scheduler (undeliverable invocations)
      // send to the dead-letter queue, which is encrypted with the data key: they may use the key
      // only through SQS.
      for (const role of [fn.function.role!, schedulerRole]) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [props.key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': sqsService } },
          }),
        );
      }
      acknowledge(schedulerRole, {
        'HIPAA.Security-IAMNoInlinePolicy': reasons.inlineDefaultPolicy,
        [`AwsSolutions-IAM5[${wildcardResource(this, `${fn.function.functionArn}:*`)}]`]: `lambda:InvokeFunction on the versions and aliases of job ${job.name}'s own function, which is how CDK grants invoke; no other function is reachable.`,
      });

      functions[job.name] = fn;
      queues[job.name] = dlq;
      schedules[job.name] = schedule;
    }
    this.functions = functions;
    this.deadLetterQueues = queues;
    this.schedules = schedules;
  }
}
