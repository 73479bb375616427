import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * Records cdk-nag acknowledgements on one construct (and so on the resources beneath it).
 * Keys are rule ids, with the finding in brackets for rules that report several
 * (`AwsSolutions-IAM5[Resource::*]`); values are the reason a reviewer can check.
 */
export function acknowledge(scope: IConstruct, rules: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(rules)) {
    if (reason.trim().length < 20)
      throw new Error(`The acknowledgement of ${id} at ${scope.node.path} needs a reason`);
    Validations.of(scope).acknowledge({ id, reason });
  }
}

/**
 * The finding cdk-nag reports for a wildcard resource in an IAM policy, e.g.
 * `Resource::<BackupsBucket1234.Arn>/*` for `${bucket.bucketArn}/*`.
 */
export function wildcardResource(scope: IConstruct, arn: string): string {
  return `Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}`;
}

/** Reasons shared by several constructs. */
export const reasons = {
  lambdaWildcards:
    'Resource "*" in this function\'s own role covers only the X-Ray PutTraceSegments and PutTelemetryRecords actions of active tracing, which support no resource-level permissions, and the EC2 network-interface actions Lambda uses to attach the function to its VPC subnets (the Describe actions work only on "*", and Lambda picks the interfaces at run time); logs may go to the function\'s own log group only.',
  inlineDefaultPolicy:
    "This is the AWS::IAM::Policy CDK attaches to exactly one role to hold that role's least-privilege grants; a customer-managed policy would carry the same statements with no reuse.",
  synchronousLambda:
    'This function is only invoked synchronously (API Gateway or CloudFormation wait for its answer and see its errors), so an asynchronous-invocation dead-letter queue would never receive anything.',
} as const;
