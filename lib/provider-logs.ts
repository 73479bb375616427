import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ProviderLogsProps {
  /** Encrypts the log groups. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Gives the Lambdas CDK adds by itself (the trigger runner, the default-security-group cleanup)
 * a KMS-encrypted log group with a retention period, as every function of the app has, instead
 * of the unencrypted, never-expiring group Lambda would create. Create it after everything else
 * in the stack: it covers the provider functions that exist when it is constructed.
 */
export class ProviderLogs extends Construct {
  public readonly logGroups: readonly logs.LogGroup[];

  constructor(scope: Construct, id: string, props: ProviderLogsProps) {
    super(scope, id);
    const providers = Stack.of(this)
      .node.findAll()
      .filter(
        (c): c is CfnResource =>
          CfnResource.isCfnResource(c) &&
          c.cfnResourceType === 'AWS::Lambda::Function' &&
          !(c instanceof lambda.CfnFunction),
      );
    this.logGroups = providers.map((handler) => {
      const owner = (handler.node.scope?.node.id ?? handler.node.id).replace(/[^A-Za-z0-9]/g, '');
      const group = new logs.LogGroup(this, owner, {
        retention: props.logRetention,
        encryptionKey: props.logsKey,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      });
      handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName, LogFormat: 'Text' });
      handler.node.addDependency(group);
      return group;
    });
  }
}
