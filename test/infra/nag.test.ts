import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synthStage, type Synth } from './synth';

const stages = ['dev', 'prod'] as const;
const synths = {} as Record<(typeof stages)[number], Synth>;

beforeAll(() => {
  for (const stage of stages) synths[stage] = synthStage(stage);
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
