import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './nag';

export interface BackupsProps {
  /** Encrypts the export bucket and the backup vault. */
  readonly key: kms.IKey;
  /** The instance AWS Backup snapshots daily. */
  readonly database: rds.IDatabaseInstance;
  /**
   * Logical exports expire this long after they are written.
   * @default Duration.days(365)
   */
  readonly expireExportsAfter?: Duration;
  /**
   * Move exports to S3 Glacier Flexible Retrieval after this long.
   * @default - never
   */
  readonly glacierAfter?: Duration;
  /**
   * Move exports to S3 Glacier Deep Archive after this long.
   * @default - never
   */
  readonly deepArchiveAfter?: Duration;
  /**
   * Retention of the daily AWS Backup snapshots.
   * @default Duration.days(35)
   */
  readonly snapshotRetention?: Duration;
  /**
   * Object Lock mode of the export bucket. Every version is locked for `expireExportsAfter`
   * from when it is written: in compliance mode nobody (root included) can delete it or shorten
   * its retention; in governance mode a principal allowed `s3:BypassGovernanceRetention` can.
   * @default 'compliance'
   */
  readonly exportLock?: 'governance' | 'compliance';
  /**
   * Daily AWS Backup snapshots of the database into a vault. A vault holding recovery points
   * cannot be deleted, so a stage that must be destroyed and deployed again goes without.
   * @default true
   */
  readonly snapshots?: boolean;
  /**
   * Lock mode of the vault (minimum retention = snapshot retention). `compliance` becomes
   * immutable after a 3-day grace period: from then on nobody, root included, can delete a
   * recovery point early, remove the lock or delete the vault. `governance` can be lifted by a
   * principal allowed to delete the lock configuration.
   * @default 'compliance'
   */
  readonly vaultLock?: 'governance' | 'compliance';
  /**
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Where a person's exports go in the export bucket (functions/exports/build.ts). */
export const personalExportPrefix = 'exports/';
/** How long they are kept (functions/exports/queries.ts `keepDays`). */
export const personalExportDays = 7;

/**
 * Where backups live.
 * - The export bucket holds the logical exports the backup job writes: KMS (data key),
 *   versioned, no public access, TLS only, server access logs to a separate bucket, lifecycle to
 *   cold storage and expiry. S3 Object Lock keeps every version for the expiry period from when
 *   it is written, so neither a delete nor an overwrite followed by lifecycle cleanup can remove
 *   an export early; the bucket policy also denies object deletion to every principal and, once
 *   `lockWriters` has run, denies writes to every principal but the writers of `grantWrite`.
 * - AWS Backup snapshots the database daily into a locked vault encrypted with the data key
 *   (unless `snapshots` is false).
 */
export class Backups extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  /** Undefined when `snapshots` is false. */
  public readonly vault?: backup.BackupVault;
  /** Undefined when `snapshots` is false. */
  public readonly plan?: backup.BackupPlan;
  private readonly writers: iam.IRole[] = [];
  private locked = false;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: BackupsProps) {
    super(scope, id);
    // Server access logs are delivered under a bucket policy, not the legacy log-delivery ACL
    // (ACLs stay disabled), whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.key = props.key;
    this.node.addValidation({
      validate: () =>
        this.locked
          ? []
          : [
              'Backups.lockWriters was never called: the export bucket would accept writes from anyone allowed by IAM',
            ],
    });
    const expire = props.expireExportsAfter ?? Duration.days(365);
    const retention = props.snapshotRetention ?? Duration.days(35);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const exportLock = props.exportLock ?? 'compliance';
    const transitions: s3.Transition[] = [];
    let previous = 0;
    for (const [storageClass, after] of [
      [s3.StorageClass.GLACIER, props.glacierAfter],
      [s3.StorageClass.DEEP_ARCHIVE, props.deepArchiveAfter],
    ] as const) {
      if (!after) continue;
      if (after.toDays() <= previous || after.toDays() >= expire.toDays()) {
        throw new Error(
          'Cold-storage transitions must come in order (Glacier, then Deep Archive) and before expiry',
        );
      }
      previous = after.toDays();
      transitions.push({ storageClass, transitionAfter: after });
    }
    if (retention.toDays() < 1) throw new Error('Snapshot retention must be at least one day');

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logs can only be delivered to a bucket encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: props.accessLogRetention ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    acknowledge(this.accessLogBucket, {
      'AwsSolutions-S1':
        'This bucket is the server-access-log target of the export bucket; logging it into itself or another bucket would only log the log deliveries.',
      'HIPAA.Security-S3BucketLoggingEnabled':
        'This bucket is the server-access-log target of the export bucket; logging it into itself or another bucket would only log the log deliveries.',
      'HIPAA.Security-S3DefaultEncryptionKMS':
        'S3 server access log delivery only supports SSE-S3 target buckets; the logs hold request metadata, not health data.',
      'HIPAA.Security-S3BucketReplicationEnabled':
        'Access logs are operational metadata kept in the deployment region; cross-region replication of them is not part of the recovery plan.',
    });

    this.bucket = new s3.Bucket(this, 'Exports', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // Object Lock can only be turned on when the bucket is created. Each version is locked for
      // as long as the lifecycle keeps the current version, so an overwrite cannot shorten the
      // life of the export it replaces.
      objectLockEnabled: true,
      objectLockDefaultRetention:
        exportLock === 'compliance'
          ? s3.ObjectLockRetention.compliance(expire)
          : s3.ObjectLockRetention.governance(expire),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'exports/',
      lifecycleRules: [
        {
          id: 'ColdStorageThenExpiry',
          transitions,
          expiration: expire,
          // Not before the lock of a replaced version ends: lifecycle never removes a locked version.
          noncurrentVersionExpiration: expire,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        {
          // A person's exports (functions/exports): kept 7 days; each is locked only that long.
          id: 'ExpirePersonalExports',
          prefix: personalExportPrefix,
          expiration: Duration.days(personalExportDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy,
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NothingDeletesExports',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    acknowledge(this.bucket, {
      'HIPAA.Security-S3BucketReplicationEnabled':
        'The exports are a second copy of the database next to AWS Backup snapshots and RDS automated backups; copies to another region are a disaster-recovery decision left to the operator (docs/deploy.md, "Copies in another region").',
    });

    if (props.snapshots ?? true) {
      const lock = props.vaultLock ?? 'compliance';
      const stack = Stack.of(this);
      this.vault = new backup.BackupVault(this, 'Vault', {
        // Unique to this deployment of the stack (the last group of its stack id): a vault kept
        // after a failed first deploy or a deleted stack never blocks creating the next one.
        backupVaultName: `${stack.stackName}-${Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', stack.stackId))))}`,
        encryptionKey: props.key,
        removalPolicy,
        lockConfiguration:
          lock === 'compliance'
            ? { minRetention: retention, changeableFor: Duration.days(3) }
            : { minRetention: retention },
      });
      this.vault.blockRecoveryPointDeletion();

      this.plan = new backup.BackupPlan(this, 'Plan', {
        backupVault: this.vault,
        backupPlanRules: [
          new backup.BackupPlanRule({
            ruleName: 'DailyDatabaseSnapshot',
            // After the RDS backup window (03:00-04:00) and maintenance window (Sun 04:30-05:30).
            scheduleExpression: events.Schedule.cron({ hour: '6', minute: '0' }),
            startWindow: Duration.hours(1),
            completionWindow: Duration.hours(4),
            deleteAfter: retention,
          }),
        ],
      });
      const selection = this.plan.addSelection('Database', {
        resources: [backup.BackupResource.fromRdsDatabaseInstance(props.database)],
      });
      acknowledge(selection, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]':
          'AWSBackupServiceRolePolicyForBackup is the AWS-maintained policy AWS Backup needs to snapshot RDS; the role can only be assumed by the AWS Backup service.',
      });
    } else {
      acknowledge(props.database, {
        'HIPAA.Security-RDSInBackupPlan':
          'This stage has no AWS Backup vault because a vault holding recovery points cannot be deleted, so the stage could not be destroyed and deployed again; its database holds synthetic data and keeps RDS automated backups with point-in-time recovery (prod has the locked vault, asserted by test/infra).',
      });
    }
  }

  /** Lets a role write exports (and only write: no read, no delete). */
  grantWrite(role: iam.IRole): void {
    if (this.locked) throw new Error('Backups.grantWrite must run before lockWriters');
    this.writers.push(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    this.grantKeyThroughS3(role);
    acknowledge(role, {
      [`AwsSolutions-IAM5[${wildcardResource(this, this.bucket.arnForObjects('*'))}]`]:
        'Export object keys are chosen at run time (one per export), so the write grant covers the objects of this one bucket; the bucket policy denies deletes to everyone.',
    });
  }

  /**
   * Lets a role write a person's exports under `exports/`, with their own (shorter) Object Lock
   * retention, and read them back (to sign download links): nothing else in the bucket.
   */
  grantPersonalExports(role: iam.IRole): void {
    if (this.locked) throw new Error('Backups.grantPersonalExports must run before lockWriters');
    this.writers.push(role);
    const objects = this.bucket.arnForObjects(`${personalExportPrefix}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'],
        resources: [objects],
      }),
    );
    this.grantKeyThroughS3(role);
    acknowledge(role, {
      [`AwsSolutions-IAM5[${wildcardResource(this, objects)}]`]:
        "Each export's key is made at run time (exports/<person>/<export>.json), so the grant covers the exports prefix of this one bucket; backups and access-log exports stay out of reach, and the bucket policy denies deletes to everyone.",
    });
  }

  /** SSE-KMS writes need GenerateDataKey, multipart uploads and reads Decrypt: the data key, only through S3. */
  private grantKeyThroughS3(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /** Denies writes to every principal but the roles granted so far. Call once, after every grant. */
  lockWriters(): void {
    if (this.locked) throw new Error('Backups.lockWriters runs once');
    this.locked = true;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheBackupJobWritesExports',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions:
          this.writers.length > 0
            ? { ArnNotEquals: { 'aws:PrincipalArn': this.writers.map((r) => r.roleArn) } }
            : undefined,
      }),
    );
  }
}
