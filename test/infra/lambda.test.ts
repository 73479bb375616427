import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { projectRoot } from '../../lib/app';
import { esbuildOptions, migrateBundle } from '../../lib/bundling';
import { AppFunction, type FunctionDefaults, type LambdaCode } from '../../lib/lambda';
import { idsOf, synthStage, type Synth } from './synth';

let dev: Synth;

beforeAll(() => {
  dev = synthStage('dev');
});

function appFunctionIds(s: Synth): string[] {
  return idsOf(s.resources, 'AWS::Lambda::Function', /\/Function\/Resource$/);
}

describe('every Lambda of the app', () => {
  it('runs nodejs22.x on arm64 with active tracing and reserved concurrency', () => {
    const ids = appFunctionIds(dev);

    expect(ids.length).toBeGreaterThanOrEqual(5);
    for (const id of ids) {
      expect([id, dev.resources[id]!.Properties]).toEqual([
        id,
        expect.objectContaining({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          ReservedConcurrentExecutions: expect.any(Number),
        }),
      ]);
    }
  });

  it('runs in the isolated app subnets with a security group of its own', () => {
    const appSubnets = idsOf(dev.resources, 'AWS::EC2::Subnet', /\/Network\/Vpc\/appSubnet\d+\//);
    const groups = new Set<string>();

    for (const id of appFunctionIds(dev)) {
      const vpc = dev.resources[id]!.Properties!.VpcConfig as {
        SubnetIds: { Ref: string }[];
        SecurityGroupIds: { 'Fn::GetAtt': [string] }[];
      };
      expect(vpc.SubnetIds.map((s) => s.Ref).sort()).toEqual([...appSubnets].sort());
      expect(vpc.SecurityGroupIds).toHaveLength(1);
      groups.add(vpc.SecurityGroupIds[0]!['Fn::GetAtt'][0]);
    }
    expect(groups.size).toBe(appFunctionIds(dev).length);
  });

  it('has a role of its own with no AWS managed policy, writing logs to its own log group only', () => {
    const ids = appFunctionIds(dev);
    const roles = new Set<string>();

    for (const id of ids) {
      const fn = dev.resources[id]!.Properties!;
      const role = (fn.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const group = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      roles.add(role);
      expect([id, dev.resources[role]!.Properties!.ManagedPolicyArns]).toEqual([id, undefined]);

      const statements = Object.values(dev.resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            (r.Properties!.Roles as { Ref: string }[]).some((x) => x.Ref === role),
        )
        .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
      const actions = (st: Record<string, unknown>) => [st.Action].flat().map(String);
      const logs = statements.filter((st) => actions(st).some((a) => a.startsWith('logs:')));
      expect([id, logs]).toEqual([
        id,
        [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [group, 'Arn'] },
          },
        ],
      ]);
      // Resource "*" only for X-Ray and the network interfaces of the VPC attachment.
      for (const st of statements.filter((x) => JSON.stringify(x.Resource) === '"*"')) {
        for (const a of actions(st))
          expect([id, a]).toEqual([
            id,
            expect.stringMatching(
              /^(xray:PutTraceSegments|xray:PutTelemetryRecords|ec2:(Create|Delete|Describe)NetworkInterfaces?|ec2:DescribeSubnets|ec2:(Assign|Unassign)PrivateIpAddresses)$/,
            ),
          ]);
      }
      expect([id, statements.flatMap(actions)]).toEqual([
        id,
        expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
      ]);
    }
    expect(roles.size).toBe(ids.length);
  });

  it('sets STAGE, LOG_LEVEL and source-mapped stack traces', () => {
    for (const id of appFunctionIds(dev)) {
      expect(
        (dev.resources[id]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables,
      ).toMatchObject({
        STAGE: 'dev',
        LOG_LEVEL: 'DEBUG',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });
});

describe('bundling', () => {
  let root: string;
  let outdir: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'eatsential-bundle-'));
    writeFileSync(
      join(root, 'package-lock.json'),
      JSON.stringify({ name: 'fixture', lockfileVersion: 3, packages: {} }),
    );
    // The fixture project uses the repository's esbuild, as the real project root does.
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
    mkdirSync(join(root, 'src'));
    writeFileSync(
      join(root, 'src', 'greeting.ts'),
      'export function greeting(name: string): string {\n  return `hello ${name}`;\n}\n',
    );
    writeFileSync(
      join(root, 'src', 'handler.ts'),
      [
        "import { S3Client } from '@aws-sdk/client-s3';",
        "import { greeting } from './greeting';",
        'export const client = new S3Client({});',
        'export async function handler(): Promise<string> {',
        "  return greeting('migrations');",
        '}',
        '',
      ].join('\n'),
    );
    mkdirSync(join(root, 'sql', 'migrations'), { recursive: true });
    writeFileSync(
      join(root, 'sql', 'migrations', '20260101000000_create_things.up.sql'),
      'create table things ();\n',
    );
    writeFileSync(
      join(root, 'sql', 'migrations', '20260101000000_create_things.down.sql'),
      'drop table things;\n',
    );
    writeFileSync(join(root, 'sql', 'migrations', 'README.md'), 'not a migration\n');

    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'eatsential-cdkout-')) });
    const stack = new Stack(app, 'Bundling');
    new AppFunction(stack, 'Migrate', {
      defaults: fixtureDefaults(stack, { kind: 'bundle', projectRoot: root }),
      bundle: { ...migrateBundle, entry: 'src/handler.ts' },
      description: 'fixture',
      reservedConcurrency: 1,
    });
    outdir = app.synth().directory;
  });

  const bundleDir = () => {
    const dirs = readdirSync(outdir).filter(
      (d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.js')),
    );
    expect(dirs).toHaveLength(1);
    return join(outdir, dirs[0]!);
  };

  it('bundles with the shared esbuild options: minified CommonJS, linked source map without sources, AWS SDK external', () => {
    const code = readFileSync(join(bundleDir(), 'index.js'), 'utf8');
    const map = JSON.parse(readFileSync(join(bundleDir(), 'index.js.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };

    expect(esbuildOptions).toMatchObject({
      minify: true,
      sourcemap: true,
      format: 'cjs',
      target: 'node22',
      external: ['@aws-sdk/*'],
    });
    expect(code).toContain('hello ');
    expect(code).toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(code.split('\n').length).toBeLessThan(8);
    expect(map.sources.some((s) => s.endsWith('greeting.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('copies the migration files, and only them, next to the migrate bundle', () => {
    expect(readdirSync(join(bundleDir(), 'migrations')).sort()).toEqual([
      '20260101000000_create_things.down.sql',
      '20260101000000_create_things.up.sql',
    ]);
  });
});

describe('AppFunction rejects', () => {
  const make = (props: Partial<ConstructorParameters<typeof AppFunction>[2]>) => {
    const stack = new Stack(new App(), 'Invalid');
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-prebuilt-'));
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'index.js'), 'exports.handler = async () => ({});\n');
    return () =>
      new AppFunction(stack, 'Fn', {
        defaults: fixtureDefaults(stack, { kind: 'prebuilt', distDir: dir }),
        bundle: { name: 'x', entry: 'x.ts' },
        description: 'fixture',
        reservedConcurrency: 1,
        ...props,
      });
  };

  it.each([
    ['a timeout over 15 minutes', { timeout: Duration.minutes(16) }, /timeout/],
    ['memory below 128 MB', { memoryMb: 64 }, /memory/],
    ['no reserved concurrency', { reservedConcurrency: 0 }, /reserved concurrency/],
    ['retry settings without a dead-letter queue', { retryAttempts: 1 }, /dead-letter queue/],
    ['a variable every function sets', { environment: { STAGE: 'prod' } }, /STAGE is set for every function/],
  ])('%s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  it('a missing prebuilt bundle, naming the command that builds it', () => {
    const stack = new Stack(new App(), 'Missing');
    expect(
      () =>
        new AppFunction(stack, 'Fn', {
          defaults: fixtureDefaults(stack, {
            kind: 'prebuilt',
            distDir: mkdtempSync(join(tmpdir(), 'eatsential-empty-')),
          }),
          bundle: { name: 'nothing', entry: 'nothing.ts' },
          description: 'fixture',
          reservedConcurrency: 1,
        }),
    ).toThrow(/npm run build/);
  });
});

function fixtureDefaults(stack: Stack, code: LambdaCode): FunctionDefaults {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return {
    stage: 'dev',
    vpc,
    subnets: { subnetGroupName: 'app' },
    logsKey: new kms.Key(stack, 'Key'),
    logRetention: logs.RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    code,
  };
}
