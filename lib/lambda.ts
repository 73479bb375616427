import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { esbuildOptions, type BundleSpec } from './bundling';
import { acknowledge, reasons } from './nag';
import type { StageName } from './stage';

/**
 * Where Lambda code comes from:
 * - `bundle`: esbuild bundles each entry during synth (what `cdk deploy` does);
 * - `prebuilt`: `<distDir>/<name>/` as written by `npm run build` (same esbuild options).
 */
export type LambdaCode =
  | { readonly kind: 'bundle'; readonly projectRoot: string }
  | { readonly kind: 'prebuilt'; readonly distDir: string };

/** What every Lambda of a stage shares. */
export interface FunctionDefaults {
  readonly stage: StageName;
  readonly vpc: ec2.IVpc;
  /** The isolated subnets the functions run in. */
  readonly subnets: ec2.SubnetSelection;
  /** Encrypts each function's log group. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** `LOG_LEVEL` of every function. */
  readonly logLevel: string;
  readonly code: LambdaCode;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export interface AppFunctionProps {
  readonly defaults: FunctionDefaults;
  readonly bundle: BundleSpec;
  readonly description: string;
  /**
   * Concurrency reserved for (and capping) this function.
   */
  readonly reservedConcurrency: number;
  /**
   * @default 256
   */
  readonly memoryMb?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Added to `STAGE`, `LOG_LEVEL`, `NODE_OPTIONS` and `POWERTOOLS_SERVICE_NAME`. Values are
   * names and ARNs, never secret values.
   * @default - only the common variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Receives asynchronous invocations that failed every retry. Omit only for functions that are
   * invoked synchronously.
   * @default - none (the function must be invoked synchronously)
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Retries of a failed asynchronous invocation.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

const commonVariables = ['STAGE', 'LOG_LEVEL', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'];

/**
 * The network-interface actions Lambda performs with the execution role of a function placed in
 * a VPC (the EC2 part of AWSLambdaVPCAccessExecutionRole, without its logs actions on "*").
 */
export const vpcNetworkInterfaceActions = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * The one way this app makes a Lambda: a NodejsFunction on nodejs22.x/arm64, bundled by esbuild
 * with the shared options of `bundling.ts`, in the VPC's isolated subnets with its own security
 * group (HTTPS out to the VPC endpoints only; callers open database ports), active tracing, and
 * its own KMS-encrypted log group with a retention period.
 *
 * Its role holds no AWS managed policy: it may write to its own log group only, and manage the
 * network interfaces Lambda attaches to the VPC.
 */
export class AppFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly securityGroup: ec2.SecurityGroup;
  /** The concurrency reserved for this function (counted against the account's quota). */
  public readonly reservedConcurrency: number;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const { defaults, bundle } = props;
    const memoryMb = props.memoryMb ?? 256;
    const timeout = props.timeout ?? Duration.seconds(10);
    if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10240) {
      throw new Error(`${bundle.name}: memory must be 128 to 10240 MB, got ${memoryMb}`);
    }
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(`${bundle.name}: timeout must be 1 to 900 seconds, got ${timeout.toSeconds()}`);
    }
    if (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 1) {
      throw new Error(`${bundle.name}: reserved concurrency must be a positive integer`);
    }
    if (
      props.deadLetterQueue === undefined &&
      (props.retryAttempts !== undefined || props.maxEventAge !== undefined)
    ) {
      throw new Error(`${bundle.name}: asynchronous retry settings need a dead-letter queue`);
    }
    for (const name of Object.keys(props.environment ?? {})) {
      if (commonVariables.includes(name))
        throw new Error(`${bundle.name}: ${name} is set for every function`);
    }

    this.reservedConcurrency = props.reservedConcurrency;

    // Named by CloudFormation: a fixed name would block creating the stack again while a kept
    // group of a deleted (or failed) stack still holds it.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: defaults.logRetention,
      encryptionKey: defaults.logsKey,
      removalPolicy: defaults.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: defaults.vpc,
      description: `Lambda ${bundle.name}: HTTPS to the VPC endpoints; database ports opened by its callers`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to VPC endpoints (the subnets have no other route)',
    );

    this.role = new iam.Role(this, 'ServiceRole', {
      description: `Lambda ${bundle.name} (eatsential ${defaults.stage})`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...vpcNetworkInterfaceActions], resources: ['*'] }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...functionCode(defaults.code, bundle),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: memoryMb,
      timeout,
      role: this.role,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: defaults.vpc,
      vpcSubnets: defaults.subnets,
      securityGroups: [this.securityGroup],
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.deadLetterQueue ? (props.retryAttempts ?? 2) : undefined,
      maxEventAge: props.deadLetterQueue ? (props.maxEventAge ?? Duration.hours(6)) : undefined,
      environment: {
        STAGE: defaults.stage,
        LOG_LEVEL: defaults.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `eatsential-${bundle.name}`,
        ...props.environment,
      },
    });

    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]': reasons.lambdaWildcards,
      'HIPAA.Security-IAMNoInlinePolicy': reasons.inlineDefaultPolicy,
      'AwsSolutions-L1':
        'nodejs22.x is the runtime the project targets everywhere (esbuild target node22, the local server and the tests); moving to a newer runtime is a project-wide upgrade, not a per-function setting.',
    });
    if (!props.deadLetterQueue)
      acknowledge(this.function, { 'HIPAA.Security-LambdaDLQ': reasons.synchronousLambda });
  }
}

function functionCode(
  code: LambdaCode,
  bundle: BundleSpec,
): Pick<
  nodejs.NodejsFunctionProps,
  'entry' | 'code' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'bundling'
> {
  if (code.kind === 'prebuilt') {
    const dir = join(code.distDir, bundle.name);
    if (!existsSync(join(dir, 'index.js'))) {
      throw new Error(
        `${dir}/index.js does not exist: run \`npm run build\` first, or synthesize without -c lambdaCode=prebuilt`,
      );
    }
    return { code: lambda.Code.fromAsset(dir), handler: 'index.handler' };
  }
  const entry = join(code.projectRoot, bundle.entry);
  if (!existsSync(entry))
    throw new Error(`The entry of Lambda ${bundle.name}, ${bundle.entry}, does not exist`);
  const copies = bundle.copy ?? [];
  for (const c of copies) {
    if (!existsSync(join(code.projectRoot, c.from)))
      throw new Error(`${c.from}, bundled with Lambda ${bundle.name}, does not exist`);
  }
  return {
    entry,
    handler: 'handler',
    projectRoot: code.projectRoot,
    depsLockFilePath: join(code.projectRoot, 'package-lock.json'),
    bundling: {
      minify: esbuildOptions.minify,
      sourceMap: esbuildOptions.sourcemap,
      sourceMapMode: nodejs.SourceMapMode.DEFAULT,
      sourcesContent: esbuildOptions.sourcesContent,
      keepNames: esbuildOptions.keepNames,
      target: esbuildOptions.target,
      format: esbuildOptions.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
      externalModules: [...esbuildOptions.external],
      logLevel: nodejs.LogLevel.WARNING,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) =>
          copies.flatMap((c) => [
            `mkdir -p "${outputDir}/${c.to}"`,
            `find "${inputDir}/${c.from}" -maxdepth 1 -type f -name "*${c.suffix}" -exec cp {} "${outputDir}/${c.to}/" ";"`,
          ]),
      },
    },
  };
}
