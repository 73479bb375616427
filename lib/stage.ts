import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The stages an operator can deploy. Anything else is rejected before a construct is made. */
export const stageNames = ['dev', 'prod'] as const;
export type StageName = (typeof stageNames)[number];

export function parseStage(value: unknown): StageName {
  if (typeof value === 'string' && (stageNames as readonly string[]).includes(value))
    return value as StageName;
  const shown = value === undefined ? 'no stage' : `stage ${JSON.stringify(value)}`;
  throw new Error(`Unknown ${shown}: deploy with -c stage=dev or -c stage=prod.`);
}

/** Sizing and safety settings that differ between stages. */
export interface StageSettings {
  readonly stage: StageName;
  /** Retain data-bearing resources (keys, secrets, log groups, buckets, vault) when the stack is deleted. */
  readonly retainData: boolean;
  /**
   * Removal policy of the keys, secrets and log groups. Prod uses RETAIN_ON_UPDATE_OR_DELETE
   * (CloudFormation's RetainExceptOnCreate): kept when the stack is deleted or they leave the
   * template, but deleted when the deploy that created them rolls back, so a failed first deploy
   * leaves nothing behind that would block the retry.
   */
  readonly dataRemovalPolicy: RemovalPolicy;
  /** Retention of every CloudWatch log group. */
  readonly logRetention: logs.RetentionDays;
  /** `LOG_LEVEL` of every Lambda. */
  readonly logLevel: 'DEBUG' | 'INFO';
  readonly maxAzs: number;
  readonly database: {
    readonly instanceType: ec2.InstanceType;
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    /** SNAPSHOT takes a final snapshot when the instance is deleted. */
    readonly removalPolicy: RemovalPolicy;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    /** Alarm above this many connections (about 80% of the class's default `max_connections`). */
    readonly connectionsAlarmThreshold: number;
  };
  /**
   * Reserved concurrency, which also caps the database connections a function can open. Domains
   * reserve what `reservedConcurrency` of functions/domains.ts says, else `domainDefault`.
   */
  readonly concurrency: {
    readonly domainDefault: number;
    readonly authorizer: number;
  };
  readonly throttle: {
    readonly default: { readonly rateLimit: number; readonly burstLimit: number };
    readonly auth: { readonly rateLimit: number; readonly burstLimit: number };
  };
  readonly backups: {
    /** Lifecycle of logical exports in the backup bucket. */
    readonly expireExportsAfter: Duration;
    readonly glacierAfter?: Duration;
    readonly deepArchiveAfter?: Duration;
    /**
     * Daily AWS Backup snapshots of the database into a vault, locked in compliance mode (after
     * a 3-day grace period nobody, root included, can delete a recovery point early or remove
     * the lock). Off in dev: a vault holding recovery points cannot be deleted, so dev could not
     * be destroyed and deployed again; dev keeps RDS automated backups.
     */
    readonly snapshotVault: boolean;
    /** Object Lock mode of the export bucket (retention = `expireExportsAfter`). */
    readonly exportLock: 'governance' | 'compliance';
  };
  /** Data lifecycle jobs (functions/jobs/table.ts). */
  readonly lifecycle: {
    /** anonymise-wellness: mental-wellness rows older than this are anonymised (design doc 9.7: 2 years). */
    readonly wellnessHorizonDays: number;
    /** access-log-retention: monthly access-log partitions older than this are exported and dropped. */
    readonly accessLogRetentionMonths: number;
    /** access-log-retention: ended sessions and spent tokens are removed this long after they end. */
    readonly authGraceDays: number;
  };
}

export function stageSettings(stage: StageName): StageSettings {
  if (stage === 'prod') {
    return {
      stage,
      retainData: true,
      dataRemovalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      logRetention: logs.RetentionDays.ONE_YEAR,
      logLevel: 'INFO',
      maxAzs: 2,
      database: {
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
        multiAz: true,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.SNAPSHOT,
        allocatedStorageGiB: 100,
        maxAllocatedStorageGiB: 1000,
        connectionsAlarmThreshold: 650,
      },
      concurrency: { domainDefault: 50, authorizer: 100 },
      throttle: { default: { rateLimit: 500, burstLimit: 1000 }, auth: { rateLimit: 10, burstLimit: 20 } },
      backups: {
        expireExportsAfter: Duration.days(365),
        glacierAfter: Duration.days(30),
        deepArchiveAfter: Duration.days(120),
        snapshotVault: true,
        exportLock: 'compliance',
      },
      lifecycle: { wellnessHorizonDays: 730, accessLogRetentionMonths: 13, authGraceDays: 30 },
    };
  }
  return {
    stage,
    retainData: false,
    dataRemovalPolicy: RemovalPolicy.DESTROY,
    logRetention: logs.RetentionDays.ONE_MONTH,
    logLevel: 'DEBUG',
    maxAzs: 2,
    database: {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      multiAz: false,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      connectionsAlarmThreshold: 320,
    },
    concurrency: { domainDefault: 5, authorizer: 10 },
    throttle: { default: { rateLimit: 50, burstLimit: 100 }, auth: { rateLimit: 5, burstLimit: 10 } },
    backups: { expireExportsAfter: Duration.days(14), snapshotVault: false, exportLock: 'governance' },
    lifecycle: { wellnessHorizonDays: 730, accessLogRetentionMonths: 13, authGraceDays: 30 },
  };
}
