import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface KeysProps {
  /** Prefix of the key aliases, e.g. `eatsential/prod`. */
  readonly aliasPrefix: string;
  /**
   * What happens to the keys when the stack is deleted. Deleting a key makes everything it
   * encrypted unreadable, backups included.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Waiting period before a deleted key is gone.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The customer-managed KMS keys, both rotating yearly:
 * - `data`: everything that holds health data or credentials (database storage, Performance
 *   Insights, secrets, backup bucket and vault, dead-letter queues);
 * - `telemetry`: CloudWatch log groups and the alarm topic, usable by the CloudWatch Logs and
 *   CloudWatch alarm services only for those purposes.
 */
export class Keys extends Construct {
  public readonly data: kms.Key;
  public readonly telemetry: kms.Key;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    if (!/^[a-zA-Z0-9/_-]+$/.test(props.aliasPrefix)) {
      throw new Error(
        `Key alias prefix "${props.aliasPrefix}" may only hold letters, digits, "/", "_" and "-"`,
      );
    }
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    if (pendingWindow.toDays() < 7 || pendingWindow.toDays() > 30) {
      throw new Error('A KMS key pending window must be between 7 and 30 days');
    }
    const common = {
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow,
    };

    this.data = new kms.Key(this, 'Data', {
      ...common,
      alias: `alias/${props.aliasPrefix}/data`,
      description:
        'Eatsential health data and credentials: RDS storage, Performance Insights, secrets, backups, queues',
    });

    this.telemetry = new kms.Key(this, 'Telemetry', {
      ...common,
      alias: `alias/${props.aliasPrefix}/telemetry`,
      description: 'Eatsential telemetry: CloudWatch log groups and the alarm topic',
    });
    const { region, account, partition } = Stack.of(this);
    this.telemetry.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    this.telemetry.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }
}
