import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { domains } from '../../functions/domains';
import { jobs, type JobDefinition } from '../../functions/jobs/table';
import {
  getAtt,
  idsOf,
  oneIdOf,
  pascal,
  ref,
  synthStage,
  synthWithJobs,
  type Resources,
  type Synth,
} from './synth';

/** The job table has writers of the backup bucket and a reader of the note keyring; a table without them too. */
const extraJobs: JobDefinition[] = [...jobs];
const noWriters: JobDefinition[] = jobs.filter((j) => j.needs.backupBucket !== 'write');
const writerNames = jobs.filter((j) => j.needs.backupBucket === 'write').map((j) => j.name);
const keyringNames = jobs.filter((j) => j.needs.noteKeyring).map((j) => j.name);
/** API domains that write a person's exports (functions/domains.ts `exportsBucket`), under exports/ only. */
const exportDomains = Object.entries(domains)
  .filter(([, d]) => 'exportsBucket' in d && d.exportsBucket)
  .map(([name]) => name);
const domainRoles = (resources: Resources) =>
  exportDomains.map((d) => oneIdOf(resources, 'AWS::IAM::Role', new RegExp(`/Api${pascal(d)}/ServiceRole/`)));

let dev: Synth;
let prod: Synth;
let withExtras: Synth;
let withoutWriters: Synth;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
  withExtras = synthWithJobs('prod', extraJobs);
  withoutWriters = synthWithJobs('prod', noWriters);
});

function jobIds(resources: Resources, job: string) {
  const cid = pascal(job);
  return {
    fn: oneIdOf(resources, 'AWS::Lambda::Function', new RegExp(`/Jobs/${cid}/Function/`)),
    role: oneIdOf(resources, 'AWS::IAM::Role', new RegExp(`/Jobs/${cid}/ServiceRole/`)),
    dlq: oneIdOf(resources, 'AWS::SQS::Queue', new RegExp(`/Jobs/${cid}DeadLetters/`)),
    schedulerRole: oneIdOf(resources, 'AWS::IAM::Role', new RegExp(`/Jobs/${cid}SchedulerRole/`)),
  };
}

/** Every Allow statement of every identity policy, with the roles it is attached to. */
function allowStatements(resources: Resources) {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => {
      const roles = (r.Properties!.Roles as { Ref: string }[]).map((x) => x.Ref);
      const statements = (r.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      return statements.filter((st) => st.Effect === 'Allow').map((st) => ({ roles, statement: st }));
    });
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
  ['prod with more jobs', () => withExtras],
] as const)('jobs on %s', (label, get) => {
  const table = label === 'prod with more jobs' ? extraJobs : jobs;

  it.each(table.map((j) => [j.name, j] as const))(
    'schedules %s in UTC, with retries and a dead-letter queue',
    (name, job) => {
      const s = get();
      const { fn, dlq, schedulerRole } = jobIds(s.resources, name);

      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: job.schedule,
        ScheduleExpressionTimezone: 'Etc/UTC',
        State: 'ENABLED',
        Target: {
          Arn: getAtt(fn),
          RoleArn: getAtt(schedulerRole),
          DeadLetterConfig: { Arn: getAtt(dlq) },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        },
      });
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(fn),
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
      });
      expect(s.resources[fn]!.Properties).toMatchObject({
        ReservedConcurrentExecutions: 1,
        Timeout: job.timeoutSeconds,
        MemorySize: job.memoryMb,
        DeadLetterConfig: { TargetArn: getAtt(dlq) },
      });
    },
  );

  it.each(table.map((j) => [j.name] as const))(
    'encrypts the dead-letter queue of %s with the data key and requires TLS',
    (name) => {
      const s = get();
      const { dlq } = jobIds(s.resources, name);
      const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);

      expect(s.resources[dlq]!.Properties!.KmsMasterKeyId).toEqual(getAtt(dataKey));
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(dlq)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    },
  );

  it.each(table.map((j) => [j.name] as const))(
    'lets the function and the scheduler of %s send to its encrypted queue, using the key only through SQS',
    (name) => {
      const s = get();
      const { role, schedulerRole, dlq } = jobIds(s.resources, name);
      const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);

      for (const r of [role, schedulerRole]) {
        const statements = allowStatements(s.resources)
          .filter(({ roles }) => roles.includes(r))
          .map(({ statement }) => statement);
        expect(statements).toContainEqual(
          expect.objectContaining({ Action: 'sqs:SendMessage', Resource: getAtt(dlq) }),
        );
        const keyStatements = statements.filter((st) => JSON.stringify(st.Resource).includes(dataKey));
        expect(keyStatements).toContainEqual({
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: getAtt(dataKey),
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            },
          },
        });
      }
    },
  );

  it('has one schedule and one dead-letter queue per job and no other', () => {
    const s = get();

    s.template.resourceCountIs('AWS::Scheduler::Schedule', table.length);
    s.template.resourceCountIs('AWS::SQS::Queue', table.length);
  });
});

describe('least privilege of jobs', () => {
  it.each(writerNames)(
    'lets only the jobs that export (and the exports domain) write to the backup bucket (%s)',
    (name) => {
      const s = withExtras;
      const bucket = oneIdOf(s.resources, 'AWS::S3::Bucket', /\/Backups\/Exports\//);
      const writer = jobIds(s.resources, name).role;
      const writers = [...domainRoles(s.resources), ...writerNames.map((n) => jobIds(s.resources, n).role)];

      const writes = allowStatements(s.resources).filter(
        ({ statement }) =>
          asArray(statement.Action).some((a) => /^s3:(\*|Put\*|PutObject)$/.test(String(a))) &&
          JSON.stringify(statement.Resource).includes(bucket),
      );
      expect(writes.flatMap((w) => w.roles).sort()).toEqual([...writers].sort());
      const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);
      expect(
        allowStatements(s.resources)
          .filter(({ roles }) => roles.includes(writer))
          .map(({ statement }) => statement)
          .filter((st) => JSON.stringify(st.Resource).includes(dataKey)),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: {
                'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
              },
            },
          }),
        ]),
      );
      const fn = jobIds(s.resources, name).fn;
      const variables = (s.resources[fn]!.Properties!.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables.BACKUP_BUCKET).toEqual(ref(bucket));
      expect(variables.BACKUP_KEY_ARN).toEqual(getAtt(dataKey));
    },
  );

  it('denies writes to the backup bucket by every principal but the exporting roles', () => {
    const s = withExtras;
    const bucket = oneIdOf(s.resources, 'AWS::S3::Bucket', /\/Backups\/Exports\//);
    const writers = [
      ...domainRoles(s.resources).map((r) => getAtt(r)),
      ...writerNames.map((n) => getAtt(jobIds(s.resources, n).role)),
    ];

    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': writers } },
          }),
        ]),
      },
    });
  });

  it('denies every write to the backup bucket but personal exports when no job writes backups', () => {
    const bucket = oneIdOf(withoutWriters.resources, 'AWS::S3::Bucket', /\/Backups\/Exports\//);
    expect(noWriters.some((j) => j.needs.backupBucket === 'write')).toBe(false);
    const writers = domainRoles(withoutWriters.resources).map((r) => getAtt(r));

    withoutWriters.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Condition: writers.length ? { ArnNotEquals: { 'aws:PrincipalArn': writers } } : Match.absent(),
          }),
        ]),
      },
    });
  });

  it('lets job and scheduler roles use the data key only through SQS or S3 (kms:ViaService)', () => {
    const s = withExtras;
    const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);
    const jobRoles = extraJobs.flatMap((j) => {
      const ids = jobIds(s.resources, j.name);
      return [ids.role, ids.schedulerRole];
    });

    const keyUses = allowStatements(s.resources).filter(
      ({ roles, statement }) =>
        roles.some((r) => jobRoles.includes(r)) && JSON.stringify(statement.Resource).includes(dataKey),
    );
    expect(keyUses.length).toBe(2 * extraJobs.length + writerNames.length);
    for (const { statement } of keyUses) {
      const via = JSON.stringify(
        (statement.Condition as Record<string, Record<string, unknown>>)?.StringEquals?.['kms:ViaService'],
      );
      expect(via).toMatch(/"(sqs|s3)\."/);
    }
  });

  it('lets only the jobs (and the domains) that need it read the note keyring', () => {
    const s = withExtras;
    const keyring = oneIdOf(s.resources, 'AWS::SecretsManager::Secret', /\/Secrets\/NoteKeyring\//);

    const readers = allowStatements(s.resources)
      .filter(({ statement }) =>
        asArray(statement.Resource).some((r) => JSON.stringify(r) === JSON.stringify(ref(keyring))),
      )
      .flatMap((r) => r.roles);
    const jobReaders = readers.filter((r) => !r.startsWith('Api'));
    expect(jobReaders.sort()).toEqual(keyringNames.map((n) => jobIds(s.resources, n).role).sort());
  });

  it('keeps cdk-nag clean with a writer and a keyring reader in the table', () => {
    for (const pack of [new AwsSolutionsChecks(), new HIPAASecurityChecks()]) {
      expect(pack.validateScope(withExtras.app).violations.map((v) => v.ruleName)).toEqual([]);
    }
  });

  it('invokes each job with a scheduler role that can invoke that job only', () => {
    const s = withExtras;
    for (const job of extraJobs) {
      const { fn, schedulerRole } = jobIds(s.resources, job.name);
      const invokes = allowStatements(s.resources).filter(
        ({ roles, statement }) =>
          roles.includes(schedulerRole) &&
          asArray(statement.Action).some((a) => String(a).startsWith('lambda:')),
      );
      const resources = invokes
        .flatMap(({ statement }) => asArray(statement.Resource))
        .map((r) => JSON.stringify(r));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r).toContain(fn);
      expect(
        idsOf(s.resources, 'AWS::IAM::Role', new RegExp(`/Jobs/${pascal(job.name)}SchedulerRole/`)),
      ).toHaveLength(1);
    }
  });
});
