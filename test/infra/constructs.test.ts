import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Route } from '../../functions/core/route';
import { routes } from '../../functions/routes';
import { Api, type ApiProps } from '../../lib/api';
import { Backups } from '../../lib/backups';
import { Database, type DatabaseProps } from '../../lib/database';
import { Keys } from '../../lib/keys';
import { Network } from '../../lib/network';
import { EatsentialStack } from '../../lib/stack';
import { stageSettings } from '../../lib/stage';
import { cdkJsonContext, prebuiltStubs } from './synth';

function fixture() {
  const stack = new Stack(new App(), 'Fixture');
  const key = new kms.Key(stack, 'Key');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  return { stack, key, vpc, fn };
}

describe('Api rejects', () => {
  const props = (f: ReturnType<typeof fixture>, over: Partial<ApiProps>): ApiProps => ({
    routes,
    handlers: { identity: f.fn, platform: f.fn },
    authorizer: f.fn,
    logsKey: f.key,
    logRetention: logs.RetentionDays.ONE_WEEK,
    defaultThrottle: { rateLimit: 100, burstLimit: 200 },
    authThrottle: { rateLimit: 5, burstLimit: 10 },
    ...over,
  });

  it.each([
    [
      'an auth throttle looser than the default',
      { authThrottle: { rateLimit: 500, burstLimit: 10 } },
      /tighter than the default/,
    ],
    [
      'an authorizer cache longer than 60 s',
      { authorizerCacheTtl: Duration.minutes(5) },
      /60 seconds at most/,
    ],
    [
      'a route whose domain has no Lambda',
      { routes: [{ ...routes[0], domain: 'billing' } as Route] },
      /names domain "billing", which has no Lambda/,
    ],
    ['a route key listed twice', { routes: [routes[0], routes[0]] as Route[] }, /appears twice/],
  ])('%s', (_name, over, message) => {
    const f = fixture();
    expect(() => new Api(f.stack, 'Api', props(f, over as Partial<ApiProps>))).toThrow(message);
  });
});

describe('Database rejects', () => {
  const props = (f: ReturnType<typeof fixture>, over: Partial<DatabaseProps>): DatabaseProps => ({
    vpc: f.vpc,
    subnets: { subnetGroupName: 'data' },
    key: f.key,
    logsKey: f.key,
    logRetention: logs.RetentionDays.ONE_WEEK,
    instanceIdentifier: 'eatsential-test',
    proxySecrets: [new secretsmanager.Secret(f.stack, 'Login')],
    ...over,
  });

  it.each([
    [
      'deletion protection with a DESTROY removal policy',
      { deletionProtection: true, removalPolicy: RemovalPolicy.DESTROY },
      /deletion protection/,
    ],
    [
      'backups kept longer than point-in-time recovery allows',
      { backupRetention: Duration.days(40) },
      /1 to 35 days/,
    ],
    [
      'storage above its autoscaling ceiling',
      { allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 },
      /autoscaling ceiling/,
    ],
    ['a proxy with no login secret', { proxySecrets: [] }, /at least one login-role secret/],
    ['an instance identifier RDS would not accept', { instanceIdentifier: 'Eatsential_Prod' }, /lowercase/],
  ])('%s', (_name, over, message) => {
    const f = fixture();
    expect(() => new Database(f.stack, 'Db', props(f, over as Partial<DatabaseProps>))).toThrow(message);
  });
});

describe('other constructs reject', () => {
  it('cold-storage transitions out of order', () => {
    const f = fixture();
    const db = new Database(f.stack, 'Db', {
      vpc: f.vpc,
      subnets: { subnetGroupName: 'data' },
      key: f.key,
      logsKey: f.key,
      logRetention: logs.RetentionDays.ONE_WEEK,
      instanceIdentifier: 'eatsential-test',
      proxySecrets: [new secretsmanager.Secret(f.stack, 'Login')],
    });
    expect(
      () =>
        new Backups(f.stack, 'Backups', {
          key: f.key,
          database: db.instance,
          glacierAfter: Duration.days(90),
          deepArchiveAfter: Duration.days(30),
        }),
    ).toThrow(/in order/);
  });

  it('an export bucket whose writers were never locked', () => {
    const f = fixture();
    const db = new Database(f.stack, 'Db', {
      vpc: f.vpc,
      subnets: { subnetGroupName: 'data' },
      key: f.key,
      logsKey: f.key,
      logRetention: logs.RetentionDays.ONE_WEEK,
      instanceIdentifier: 'eatsential-test',
      proxySecrets: [new secretsmanager.Secret(f.stack, 'Login')],
    });
    new Backups(f.stack, 'Backups', { key: f.key, database: db.instance });
    expect(() => App.of(f.stack)!.synth()).toThrow(/lockWriters was never called/);
  });

  it('a VPC in a single AZ', () => {
    const stack = new Stack(new App(), 'Net');
    expect(
      () =>
        new Network(stack, 'Net', {
          logsKey: new kms.Key(stack, 'K'),
          logRetention: logs.RetentionDays.ONE_WEEK,
          maxAzs: 1,
        }),
    ).toThrow(/maxAzs must be 2 or 3/);
  });

  it('a key pending window RDS and Secrets Manager would outlive', () => {
    const stack = new Stack(new App(), 'Keys');
    expect(
      () => new Keys(stack, 'Keys', { aliasPrefix: 'eatsential/test', pendingWindow: Duration.days(3) }),
    ).toThrow(/7 and 30 days/);
  });

  it('a job table with a schedule EventBridge Scheduler would not run', () => {
    const app = new App({ context: cdkJsonContext() });
    const bad = [
      {
        name: 'nightly',
        description: 'x',
        schedule: '0 3 * * *',
        entry: 'x.ts',
        timeoutSeconds: 60,
        memoryMb: 256,
        needs: {},
        role: 'eatsential_job_partitions' as const,
      },
    ];
    expect(
      () =>
        new EatsentialStack(app, 'Jobs', {
          settings: stageSettings('dev'),
          code: { kind: 'prebuilt', distDir: prebuiltStubs(bad) },
          mail: { from: 'no-reply@eatsential.example', identity: 'eatsential.example' },
          appBaseUrl: 'https://app.eatsential.example',
          jobs: bad,
        }),
    ).toThrow(/not a cron\(\.\.\.\) or rate\(\.\.\.\) expression/);
  });

  it('a synth that would bundle handlers that do not exist, naming every missing entry', () => {
    const app = new App({ context: cdkJsonContext() });
    const root = mkdtempSync(join(tmpdir(), 'eatsential-empty-root-'));
    expect(
      () =>
        new EatsentialStack(app, 'Missing', {
          settings: stageSettings('dev'),
          code: { kind: 'bundle', projectRoot: root },
          mail: { from: 'no-reply@eatsential.example', identity: 'eatsential.example' },
          appBaseUrl: 'https://app.eatsential.example',
        }),
    ).toThrow(
      /Lambda entries missing: functions\/identity\/handler\.ts \(api-identity\), .*functions\/migrate\/handler\.ts \(migrate\)/,
    );
  });
});
