import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfnOutput, type CfnResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import type { Route } from '../functions/core/route';
import { domains as domainTable } from '../functions/domains';
import { jobs as jobTable, type JobDefinition } from '../functions/jobs/table';
import { routes as routeTable } from '../functions/routes';
import { Api } from './api';
import { Backups } from './backups';
import { allBundles, authorizerBundle, domainBundleName, migrateBundle, type BundleSpec } from './bundling';
import { Database } from './database';
import { Jobs } from './jobs';
import { Keys } from './keys';
import { AppFunction, type FunctionDefaults, type LambdaCode } from './lambda';
import { Monitoring } from './monitoring';
import { Network } from './network';
import { ProviderLogs } from './provider-logs';
import { Secrets } from './secrets';
import type { StageSettings } from './stage';

/** One entry of the domain table (`functions/domains.ts`). */
export interface DomainSpec {
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Gets `ses:SendEmail` on the mail identity, `MAIL_FROM` and `APP_BASE_URL`. */
  readonly sendsEmail?: boolean;
  /** Gets read access to the note keyring and `NOTE_KEYRING_SECRET_ARN`. */
  readonly noteKeyring?: boolean;
  /** Writes and reads a person's exports in the export bucket (`BACKUP_BUCKET`, `BACKUP_KEY_ARN`). */
  readonly exportsBucket?: boolean;
  /**
   * Concurrency reserved for the domain's Lambda in each stage.
   * @default the stage's `concurrency.domainDefault`
   */
  readonly reservedConcurrency?: { readonly dev: number; readonly prod: number };
}

export interface MailSettings {
  /** `MAIL_FROM` of the domains that send mail, e.g. `Eatsential <no-reply@eatsential.app>`. */
  readonly from: string;
  /** The SES verified identity (domain or address) the sending is authorized for. */
  readonly identity: string;
}

export interface EatsentialStackProps extends StackProps {
  readonly settings: StageSettings;
  readonly code: LambdaCode;
  readonly mail: MailSettings;
  /** Base of the links in emails (`APP_BASE_URL`). */
  readonly appBaseUrl: string;
  /**
   * @default - no email subscription on the alarm topic
   */
  readonly alarmEmail?: string;
  /**
   * @default the route table, functions/routes.ts
   */
  readonly routes?: readonly Route[];
  /**
   * @default the domain table, functions/domains.ts
   */
  readonly domains?: Readonly<Record<string, DomainSpec>>;
  /**
   * @default the job table, functions/jobs/table.ts
   */
  readonly jobs?: readonly JobDefinition[];
  /**
   * The account's Lambda concurrent-executions quota in the region (Service Quotas, "Concurrent
   * executions"). Lambda keeps 100 of it unreserved, so the functions of this stack may reserve
   * at most this minus 100 in total; a larger total fails the synth.
   * @default 1000
   */
  readonly lambdaConcurrencyQuota?: number;
}

/** Lambda always keeps this much of an account's concurrency quota unreserved. */
export const unreservedConcurrencyFloor = 100;

/**
 * Whether a domain's Lambda needs the JWT signing key: to verify access tokens on its `user` and
 * `admin` routes, and to key the request fingerprints of its idempotent routes (functions/core/idempotency.ts).
 */
export function domainUsesSigningKey(routes: readonly Route[], domain: string): boolean {
  return routes.some((r) => r.domain === domain && (r.access !== 'public' || r.idempotent === true));
}

/**
 * Whether a domain keeps answers of signed-in idempotent routes, which functions/core/idempotency.ts
 * seals with the note keyring (they can carry a person's notes in clear).
 */
export function domainSealsAnswers(routes: readonly Route[], domain: string): boolean {
  return routes.some((r) => r.domain === domain && r.access !== 'public' && r.idempotent === true);
}

/**
 * The whole Eatsential backend of one stage: keys, network, database and proxy, secrets,
 * backups, the HTTP API with one Lambda per domain, the scheduled jobs, the migrate trigger and
 * the alarms. Routes, domains and jobs come from their tables, so new ones need no change here.
 */
export class EatsentialStack extends Stack {
  public readonly keys: Keys;
  public readonly network: Network;
  public readonly secrets: Secrets;
  public readonly database: Database;
  public readonly backups: Backups;
  public readonly domainFunctions: Readonly<Record<string, AppFunction>>;
  public readonly authorizerFunction: AppFunction;
  public readonly migrateFunction: AppFunction;
  public readonly migrationTrigger: triggers.Trigger;
  public readonly api: Api;
  public readonly jobs: Jobs;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: EatsentialStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const stage = settings.stage;
    const routes = props.routes ?? routeTable;
    const domains: Readonly<Record<string, DomainSpec>> = props.domains ?? domainTable;
    const jobs = props.jobs ?? jobTable;
    if (
      !/^https:\/\/[^\s/]+/.test(props.appBaseUrl) &&
      !(stage === 'dev' && /^http:\/\/localhost/.test(props.appBaseUrl))
    ) {
      throw new Error(`appBaseUrl "${props.appBaseUrl}" must be an https:// URL`);
    }
    if (!props.mail.from.includes('@') || props.mail.identity.length === 0) {
      throw new Error('mail.from must hold an email address and mail.identity must name the SES identity');
    }
    assertEntriesExist(props.code, allBundles(domains, jobs));
    for (const [domain, spec] of Object.entries(domains)) {
      if (domainSealsAnswers(routes, domain) && !spec.noteKeyring) {
        throw new Error(
          `Domain ${domain} has signed-in idempotent routes, whose stored answers are sealed with the note keyring: set noteKeyring: true for it in functions/domains.ts`,
        );
      }
    }

    const namePrefix = `eatsential/${stage}`;
    const logRemovalPolicy = settings.dataRemovalPolicy;

    this.keys = new Keys(this, 'Keys', {
      aliasPrefix: namePrefix,
      removalPolicy: settings.dataRemovalPolicy,
      pendingWindow: Duration.days(settings.retainData ? 30 : 7),
    });

    this.network = new Network(this, 'Network', {
      logsKey: this.keys.telemetry,
      logRetention: settings.logRetention,
      maxAzs: settings.maxAzs,
      emailEndpoint: Object.values(domains).some((d) => d.sendsEmail) || jobs.some((j) => j.needs.sendsEmail),
      logRemovalPolicy,
    });

    this.secrets = new Secrets(this, 'Secrets', {
      key: this.keys.data,
      namePrefix: settings.retainData ? namePrefix : undefined,
      removalPolicy: settings.dataRemovalPolicy,
    });

    this.database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      subnets: this.network.dataSubnets,
      key: this.keys.data,
      logsKey: this.keys.telemetry,
      logRetention: settings.logRetention,
      instanceIdentifier: `eatsential-${stage}`,
      proxySecrets: [this.secrets.apiDbUser, this.secrets.jobsDbUser],
      instanceType: settings.database.instanceType,
      multiAz: settings.database.multiAz,
      deletionProtection: settings.database.deletionProtection,
      removalPolicy: settings.database.removalPolicy,
      allocatedStorageGiB: settings.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: settings.database.maxAllocatedStorageGiB,
      logRemovalPolicy,
    });

    this.backups = new Backups(this, 'Backups', {
      key: this.keys.data,
      database: this.database.instance,
      expireExportsAfter: settings.backups.expireExportsAfter,
      glacierAfter: settings.backups.glacierAfter,
      deepArchiveAfter: settings.backups.deepArchiveAfter,
      exportLock: settings.backups.exportLock,
      snapshots: settings.backups.snapshotVault,
      vaultLock: 'compliance',
      // Buckets and the vault are kept in every stage: CloudFormation cannot delete a bucket whose
      // objects nobody may delete, nor a vault holding recovery points. Their names are unique per
      // deployment of the stack, so a kept one never blocks deploying the stack again.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const defaults: FunctionDefaults = {
      stage,
      vpc: this.network.vpc,
      subnets: this.network.appSubnets,
      logsKey: this.keys.telemetry,
      logRetention: settings.logRetention,
      logLevel: settings.logLevel,
      code: props.code,
      logRemovalPolicy,
    };
    const proxyDb = {
      DB_HOST: this.database.proxy.endpoint,
      DB_PORT: String(this.database.port),
      DB_NAME: this.database.databaseName,
    };

    const domainFunctions: Record<string, AppFunction> = {};
    for (const [domain, spec] of Object.entries(domains)) {
      const usesSigningKey = domainUsesSigningKey(routes, domain);
      const environment: Record<string, string> = {
        ...proxyDb,
        DB_SECRET_ARN: this.secrets.apiDbUser.secretArn,
      };
      if (usesSigningKey) environment.JWT_SECRET_ARN = this.secrets.jwtSigningKey.secretArn;
      if (spec.sendsEmail) {
        environment.MAIL_FROM = props.mail.from;
        environment.APP_BASE_URL = props.appBaseUrl;
      }
      if (spec.noteKeyring) environment.NOTE_KEYRING_SECRET_ARN = this.secrets.noteKeyring.secretArn;
      if (spec.exportsBucket) {
        environment.BACKUP_BUCKET = this.backups.bucket.bucketName;
        environment.BACKUP_KEY_ARN = this.keys.data.keyArn;
      }
      const fn = new AppFunction(this, `Api${pascal(domain)}`, {
        defaults,
        bundle: {
          name: domainBundleName(domain),
          entry: spec.entry,
          copy: (spec as { readonly copy?: BundleSpec['copy'] }).copy,
        },
        description: spec.description,
        memoryMb: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        reservedConcurrency: spec.reservedConcurrency?.[stage] ?? settings.concurrency.domainDefault,
        environment,
      });
      this.secrets.apiDbUser.grantRead(fn.function);
      if (usesSigningKey) this.secrets.jwtSigningKey.grantRead(fn.function);
      if (spec.noteKeyring) this.secrets.noteKeyring.grantRead(fn.function);
      if (spec.sendsEmail) fn.function.addToRolePolicy(this.sendEmailStatement(props.mail));
      if (spec.exportsBucket) this.backups.grantPersonalExports(fn.function.role!);
      this.database.allowClientsFrom(fn.securityGroup, `API domain ${domain}`);
      domainFunctions[domain] = fn;
    }
    this.domainFunctions = domainFunctions;

    this.authorizerFunction = new AppFunction(this, 'Authorizer', {
      defaults,
      bundle: authorizerBundle,
      description: 'HTTP API REQUEST authorizer: verifies the access token (and the admin role)',
      memoryMb: 256,
      timeout: Duration.seconds(5),
      reservedConcurrency: settings.concurrency.authorizer,
      environment: { JWT_SECRET_ARN: this.secrets.jwtSigningKey.secretArn },
    });
    this.secrets.jwtSigningKey.grantRead(this.authorizerFunction.function);

    this.api = new Api(this, 'Api', {
      routes,
      handlers: Object.fromEntries(Object.entries(domainFunctions).map(([d, f]) => [d, f.function])),
      authorizer: this.authorizerFunction.function,
      logsKey: this.keys.telemetry,
      logRetention: settings.logRetention,
      defaultThrottle: settings.throttle.default,
      authThrottle: settings.throttle.auth,
      apiName: `eatsential-${stage}`,
      logRemovalPolicy,
    });

    this.jobs = new Jobs(this, 'Jobs', {
      jobs,
      defaults,
      database: this.database,
      dbSecret: this.secrets.jobsDbUser,
      noteKeyring: this.secrets.noteKeyring,
      backups: this.backups,
      key: this.keys.data,
      mail: {
        environment: { MAIL_FROM: props.mail.from, APP_BASE_URL: props.appBaseUrl },
        statement: this.sendEmailStatement(props.mail),
      },
      environment: {
        WELLNESS_HORIZON_DAYS: String(settings.lifecycle.wellnessHorizonDays),
        ACCESS_LOG_RETENTION_MONTHS: String(settings.lifecycle.accessLogRetentionMonths),
        AUTH_GRACE_DAYS: String(settings.lifecycle.authGraceDays),
      },
    });
    this.backups.lockWriters();

    this.migrateFunction = new AppFunction(this, 'Migrate', {
      defaults,
      bundle: migrateBundle,
      description: 'Applies sql/migrations to the database instance and sets the login-role passwords',
      memoryMb: 512,
      timeout: Duration.minutes(10),
      reservedConcurrency: 1,
      environment: {
        // The instance itself: migrations take advisory locks, which would pin proxy connections.
        DB_HOST: this.database.instance.dbInstanceEndpointAddress,
        DB_PORT: String(this.database.port),
        DB_NAME: this.database.databaseName,
        DB_SECRET_ARN: this.database.masterSecret.secretArn,
        API_DB_SECRET_ARN: this.secrets.apiDbUser.secretArn,
        JOBS_DB_SECRET_ARN: this.secrets.jobsDbUser.secretArn,
        // The runtime's bundle with the RDS certificate authorities, to verify the instance.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
    this.database.masterSecret.grantRead(this.migrateFunction.function);
    this.secrets.apiDbUser.grantRead(this.migrateFunction.function);
    this.secrets.jobsDbUser.grantRead(this.migrateFunction.function);
    this.database.allowMigrationsFrom(this.migrateFunction.securityGroup, 'Migrate Lambda');

    // Runs on the first deploy and whenever the migrate bundle changes, which it does whenever a
    // migration file is added (the files are inside the bundle). The functions that use the new
    // schema are updated only after it succeeds; a failed migration fails (and rolls back) the deploy.
    this.migrationTrigger = new triggers.Trigger(this, 'RunMigrations', {
      handler: this.migrateFunction.function,
      // The whole network (VPC endpoints for Secrets Manager and KMS), the database (and the
      // ingress rule from the migrate Lambda) and the migrate Lambda itself (its role's grants and
      // its security group's egress rule to the instance) must be in place before it can reach anything.
      executeAfter: [this.network, this.database, this.migrateFunction],
      // Only the function resources wait: their roles are referenced by the key policy, which the
      // database (and so this trigger) depends on.
      executeBefore: [...Object.values(domainFunctions), ...Object.values(this.jobs.functions)].map(
        (f) => f.function.node.defaultChild as CfnResource,
      ),
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(10),
    });

    const allFunctions: Record<string, lambda.IFunction> = {
      ...Object.fromEntries(Object.entries(domainFunctions).map(([d, f]) => [`api-${d}`, f.function])),
      authorizer: this.authorizerFunction.function,
      ...Object.fromEntries(Object.entries(this.jobs.functions).map(([j, f]) => [`job-${j}`, f.function])),
      migrate: this.migrateFunction.function,
    };
    this.monitoring = new Monitoring(this, 'Monitoring', {
      namePrefix: `eatsential-${stage}`,
      key: this.keys.telemetry,
      api: this.api.httpApi,
      functions: allFunctions,
      database: this.database.instance,
      proxy: this.database.proxy,
      deadLetterQueues: this.jobs.deadLetterQueues,
      dbConnectionsThreshold: settings.database.connectionsAlarmThreshold,
      dbFreeStorageThresholdBytes: Math.round(settings.database.allocatedStorageGiB * 0.1 * 2 ** 30),
      alarmEmail: props.alarmEmail,
    });

    assertConcurrencyBudget(this, props.lambdaConcurrencyQuota ?? 1000);

    new ProviderLogs(this, 'ProviderLogs', {
      logsKey: this.keys.telemetry,
      logRetention: settings.logRetention,
      removalPolicy: logRemovalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Invoke URL of the HTTP API' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Subscribe on-call tooling here',
    });
    new CfnOutput(this, 'MigrateFunctionName', {
      value: this.migrateFunction.function.functionName,
      description: 'Invoke to re-run or roll back migrations (docs/deploy.md)',
    });
    new CfnOutput(this, 'BackupBucketName', { value: this.backups.bucket.bucketName });
    if (this.backups.vault) {
      new CfnOutput(this, 'BackupVaultName', {
        value: this.backups.vault.backupVaultName,
        description: 'AWS Backup vault of the daily database snapshots',
      });
    }
    new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.instance.dbInstanceEndpointAddress });
    new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
  }

  /** ses:SendEmail on the configured identity only, and only from the configured address. */
  private sendEmailStatement(mail: MailSettings): iam.PolicyStatement {
    const address = /<([^>]+)>/.exec(mail.from)?.[1] ?? mail.from;
    return new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: mail.identity })],
      conditions: { StringEquals: { 'ses:FromAddress': address.trim() } },
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|[-_])([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
}

/**
 * Fails the synth when the functions of the stack reserve more concurrency than the account can
 * give: Lambda refuses a reservation that would leave less than 100 unreserved, which would fail
 * the deploy half-way instead.
 */
function assertConcurrencyBudget(stack: Stack, quota: number): void {
  if (!Number.isInteger(quota) || quota < unreservedConcurrencyFloor) {
    throw new Error(
      `lambdaConcurrencyQuota must be an integer of at least ${unreservedConcurrencyFloor}, got ${quota}`,
    );
  }
  const reserved = stack.node
    .findAll()
    .filter((c): c is AppFunction => c instanceof AppFunction)
    .map((f) => ({ name: f.node.path.split('/').slice(1).join('/'), amount: f.reservedConcurrency }));
  const total = reserved.reduce((sum, f) => sum + f.amount, 0);
  const budget = quota - unreservedConcurrencyFloor;
  if (total > budget) {
    const largest = [...reserved]
      .sort((a, b) => b.amount - a.amount)
      .map((f) => `${f.name} ${f.amount}`)
      .join(', ');
    throw new Error(
      `The Lambdas of ${stack.stackName} reserve ${total} concurrent executions, more than the ${budget} ` +
        `this account can reserve (quota ${quota} minus the ${unreservedConcurrencyFloor} Lambda keeps unreserved). ` +
        `Reservations: ${largest}. Lower reservedConcurrency in functions/domains.ts, or raise the ` +
        `"Concurrent executions" quota in Service Quotas and synthesize with -c lambdaConcurrencyQuota=<new quota>.`,
    );
  }
}

/** Every missing entry at once, so a synth before the handlers land says exactly what is missing. */
function assertEntriesExist(code: LambdaCode, bundles: readonly { name: string; entry: string }[]): void {
  if (code.kind !== 'bundle') return;
  const missing = bundles.filter((b) => !existsSync(join(code.projectRoot, b.entry)));
  if (missing.length > 0) {
    throw new Error(
      `Lambda entries missing: ${missing.map((b) => `${b.entry} (${b.name})`).join(', ')}. ` +
        'Land the handlers, or synthesize prebuilt bundles with -c lambdaCode=prebuilt -c distDir=<dir>.',
    );
  }
}
