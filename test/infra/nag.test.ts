import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { jobs, type JobDefinition } from '../../functions/jobs/table';
import { projectRoot } from '../../lib/app';
import { synthStage, synthWithJobs, type Synth } from './synth';

const stages = ['dev', 'prod'] as const;
const synths = {} as Record<(typeof stages)[number], Synth>;
/** Prod with a job that writes the backup bucket, whose grant carries an acknowledgement of its own. */
let withWriter: Synth;

const writerJobs: JobDefinition[] = [
  ...jobs,
  {
    name: 'export-backup',
    description: 'Writes a logical export of the database to the backup bucket',
    schedule: 'cron(30 3 * * ? *)',
    entry: 'functions/jobs/export-backup/handler.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    needs: { backupBucket: 'write' },
    role: 'eatsential_job_backup',
  },
];

beforeAll(() => {
  for (const stage of stages) synths[stage] = synthStage(stage);
  withWriter = synthWithJobs('prod', writerJobs);
});

/** This app's acknowledgements (CDK records a few of its own for the built-in template checks). */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
            path: c.node.path,
            id: id.replace(/^Annotation::/, ''),
            reason,
          })),
        ),
    )
    .filter((a) => !a.id.startsWith('CloudFormation-Validate::'));
}

describe.each(stages)('cdk-nag on %s', (stage) => {
  it.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['HIPAA.Security', () => new HIPAASecurityChecks()],
  ])('leaves no %s finding unacknowledged, errors or warnings', (_pack, make) => {
    const report = make().validateScope(synths[stage].app);

    expect(
      report.violations.map(
        (v) =>
          `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('carries no CDK warning or error annotation', () => {
    const annotations = Annotations.fromStack(synths[stage].stack);

    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    const acks = acknowledgements(synths[stage].app);

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(`${ack.id}: ${ack.reason}`).toMatch(/^\S+: [A-Z0-9a-z].{40,}[.)]$/);
    }
  });

  it('acknowledges IAM wildcards finding by finding, never the whole rule', () => {
    const acks = acknowledgements(synths[stage].app);

    const wildcardAcks = acks.filter((a) => /IAM5/.test(a.id));
    expect(wildcardAcks.length).toBeGreaterThan(0);
    for (const a of wildcardAcks) expect(a.id).toMatch(/^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/);
    for (const a of acks.filter((x) => /IAM4/.test(x.id)))
      expect(a.id).toMatch(/^AwsSolutions-IAM4\[Policy::.+\]$/);
  });

  it('acknowledges nothing on the stack or the app as a whole', () => {
    const { app, stack } = synths[stage];

    const broad = acknowledgements(app).filter((a) => a.path === app.node.path || a.path === stack.node.path);
    expect(broad).toEqual([]);
  });
});

interface Ack {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/**
 * What each acknowledgement must say, rule by rule: the phrase that ties the reason to what the
 * code does, checked for every acknowledgement of dev, prod and prod with a backup writer. An
 * acknowledgement of a rule missing here fails the test until a line is added for it.
 */
const expectedReasons: readonly { id: RegExp; says: (ack: Ack) => readonly RegExp[] }[] = [
  {
    id: /^AwsSolutions-IAM5\[Resource::\*\]$/,
    says: () => [
      /X-Ray PutTraceSegments and PutTelemetryRecords/,
      /EC2 network-interface actions/,
      /own log group only/,
    ],
  },
  {
    id: /^AwsSolutions-IAM5\[Resource::<\w+\.Arn>:\*\]$/,
    says: (a) => [
      new RegExp(`lambda:InvokeFunction on the versions and aliases of job ${jobOf(a)}'s own function`),
    ],
  },
  {
    id: /^AwsSolutions-IAM5\[Resource::<\w+\.Arn>\/exports\/\*\]$/,
    says: () => [/the exports prefix of this one bucket/, /denies deletes/],
  },
  {
    id: /^AwsSolutions-IAM5\[Resource::<\w+\.Arn>\/\*\]$/,
    says: () => [/write grant covers the objects of this one bucket/, /denies deletes/],
  },
  {
    id: /^AwsSolutions-IAM4\[Policy::.*\/AmazonRDSEnhancedMonitoringRole\]$/,
    says: () => [/enhanced monitoring/],
  },
  {
    id: /^AwsSolutions-IAM4\[Policy::.*\/AWSBackupServiceRolePolicyForBackup\]$/,
    says: () => [/only be assumed by the AWS Backup service/],
  },
  { id: /^HIPAA\.Security-IAMNoInlinePolicy$/, says: () => [/attaches to exactly one role/] },
  { id: /^AwsSolutions-L1$/, says: () => [/nodejs22\.x is the runtime the project targets/] },
  { id: /^HIPAA\.Security-LambdaDLQ$/, says: () => [/only invoked synchronously/] },
  {
    id: /^(AwsSolutions-SMG4|HIPAA\.Security-SecretsManagerRotationEnabled)$/,
    says: (a) => [
      /docs\/deploy\.md, "Rotating secrets"/,
      ...(/DbUser$/.test(a.path)
        ? [/whenever it runs \(on the first deploy, on each deploy that changes the migrate bundle/]
        : []),
    ],
  },
  {
    id: /^AwsSolutions-RDS11$/,
    says: () => [/listens on 5432/, /RDS Proxy and migrate Lambda security groups/],
  },
  {
    id: /^(AwsSolutions-RDS3|HIPAA\.Security-RDSMultiAZSupport)$/,
    says: () => [/^Single-AZ only outside prod/],
  },
  {
    id: /^(AwsSolutions-RDS10|HIPAA\.Security-RDSInstanceDeletionProtectionEnabled)$/,
    says: () => [/^Deletion protection is off only outside prod/],
  },
  { id: /^HIPAA\.Security-RDSInBackupPlan$/, says: () => [/no AWS Backup vault/, /point-in-time recovery/] },
  {
    id: /^(AwsSolutions-S1|HIPAA\.Security-S3BucketLoggingEnabled)$/,
    says: () => [/server-access-log target of the export bucket/],
  },
  { id: /^HIPAA\.Security-S3DefaultEncryptionKMS$/, says: () => [/only supports SSE-S3 target buckets/] },
  { id: /^HIPAA\.Security-S3BucketReplicationEnabled$/, says: () => [/region/] },
  {
    id: /^AwsSolutions-SQS3$/,
    says: (a) => [new RegExp(`itself the dead-letter queue of job ${jobOf(a)} `)],
  },
  {
    id: /^AwsSolutions-APIG4$/,
    says: (a) => {
      const key = routeKeyOf(a);
      return [
        new RegExp(`^${escape(key)} is public by design in functions/routes\\.ts`),
        key.startsWith('GET ')
          ? /serves a public service document/
          : /without a valid access token gets or recovers one/,
      ];
    },
  },
];

/** Claims the reasons once made that were not true. */
const falseClaims = [/on every deploy/, /AWSLambdaBasicExecutionRole/, /checks liveness/];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `Eatsential-prod/Jobs/IdempotencyKeysSchedulerRole` -> `idempotency-keys`. */
const jobOf = (a: Ack) => {
  const cid = /\/Jobs\/([A-Za-z0-9]+?)(SchedulerRole|DeadLetters|\/)/.exec(`${a.path}/`)![1]!;
  return writerJobs.find(
    (j) => j.name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()) === cid,
  )!.name;
};
/** `Eatsential-prod/Api/Route POST |auth|login` -> `POST /auth/login`. */
const routeKeyOf = (a: Ack) => /\/Route ([A-Z]+ \S+)$/.exec(a.path)![1]!.replace(/\|/g, '/');

describe.each([
  ['dev', () => synths.dev],
  ['prod', () => synths.prod],
  ['prod with a backup writer', () => withWriter],
] as const)('acknowledgement reasons on %s', (_label, get) => {
  it('say what the table of expected reasons requires, rule by rule', () => {
    const acks = acknowledgements(get().app);

    expect(acks.length).toBeGreaterThan(20);
    for (const ack of acks) {
      const shown = `${ack.id} at ${ack.path}`;
      const entries = expectedReasons.filter((e) => e.id.test(ack.id));
      expect([shown, entries.length]).toEqual([shown, 1]);
      for (const phrase of entries[0]!.says(ack))
        expect([shown, ack.reason]).toEqual([shown, expect.stringMatching(phrase)]);
      for (const claim of falseClaims)
        expect([shown, ack.reason]).not.toEqual([shown, expect.stringMatching(claim)]);
    }
  });

  it('cite only sections that docs/deploy.md has', () => {
    const headings = readFileSync(join(projectRoot, 'docs/deploy.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map((line) => line.replace(/^#+\s*/, ''));
    const cited = acknowledgements(get().app).flatMap((a) =>
      [...a.reason.matchAll(/docs\/deploy\.md, "([^"]+)"/g)].map((m) => m[1]!),
    );

    expect(cited.length).toBeGreaterThan(0);
    for (const section of new Set(cited)) expect(headings).toContain(section);
    for (const a of acknowledgements(get().app)) expect(a.reason).not.toMatch(/docs\/deploy\.md\)/);
  });
});

it('acknowledges the Multi-AZ and deletion-protection rules only where they are off (dev)', () => {
  const ids = (stage: 'dev' | 'prod') => acknowledgements(synths[stage].app).map((a) => a.id);

  expect(ids('dev')).toEqual(expect.arrayContaining(['AwsSolutions-RDS3', 'AwsSolutions-RDS10']));
  expect(ids('prod')).not.toContain('AwsSolutions-RDS3');
  expect(ids('prod')).not.toContain('AwsSolutions-RDS10');
  expect(ids('prod')).not.toContain('HIPAA.Security-RDSMultiAZSupport');
  expect(ids('prod')).not.toContain('HIPAA.Security-RDSInstanceDeletionProtectionEnabled');
});

it('fails a synth that has an unacknowledged finding (the packs are live)', () => {
  const app = new App();
  const stack = new Stack(app, 'Control');
  new s3.Bucket(stack, 'Unlogged');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));

  expect(() => app.synth()).toThrow(/AwsSolutions-S1|HIPAA\.Security-S3BucketLoggingEnabled/);
});
