import { Match } from 'aws-cdk-lib/assertions';
import { domains } from '../../functions/domains';
import { jobs } from '../../functions/jobs/table';
import { getAtt, idsOf, oneIdOf, pascal, ref, synthStage, type Synth } from './synth';

let dev: Synth;
let prod: Synth;

beforeAll(() => {
  dev = synthStage('dev', { alarmEmail: 'oncall@eatsential.example' });
  prod = synthStage('prod');
});

const alarmNames = (s: Synth) =>
  idsOf(s.resources, 'AWS::CloudWatch::Alarm').map((id) => String(s.resources[id]!.Properties!.AlarmName));

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
] as const)('alarms on %s', (stage, get) => {
  const name = (suffix: string) => `eatsential-${stage}-${suffix}`;

  it('watches the API 5xx rate and p99 latency', () => {
    const names = alarmNames(get());
    expect(names).toEqual(expect.arrayContaining([name('api-5xx-rate'), name('api-p99-latency')]));
    get().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: name('api-5xx-rate'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests >= 20, 100 * errors / requests, 0)' }),
      ]),
    });
    get().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: name('api-p99-latency'),
      ExtendedStatistic: 'p99',
      MetricName: 'Latency',
    });
  });

  it('watches errors and throttles of every Lambda', () => {
    const names = alarmNames(get());
    const fns = [
      ...Object.keys(domains).map((d) => `api-${d}`),
      'authorizer',
      ...jobs.map((j) => `job-${j.name}`),
      'migrate',
    ];

    for (const fn of fns)
      expect(names).toEqual(
        expect.arrayContaining([name(`lambda-${fn}-errors`), name(`lambda-${fn}-throttles`)]),
      );
  });

  it('watches database CPU, free storage and connections, and pinned proxy sessions', () => {
    const s = get();
    const instance = oneIdOf(s.resources, 'AWS::RDS::DBInstance', /\/Database\/Instance\//);
    const proxy = oneIdOf(s.resources, 'AWS::RDS::DBProxy', /\/Database\/Proxy\//);

    for (const [alarm, metric] of [
      ['db-cpu', 'CPUUtilization'],
      ['db-free-storage', 'FreeStorageSpace'],
      ['db-connections', 'DatabaseConnections'],
    ]) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name(alarm!),
        MetricName: metric,
        Dimensions: [{ Name: 'DBInstanceIdentifier', Value: ref(instance) }],
      });
    }
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: name('proxy-pinned-sessions'),
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnectionsCurrentlySessionPinned',
      Dimensions: [{ Name: 'ProxyName', Value: ref(proxy) }],
    });
  });

  it.each(jobs.map((j) => [j.name]))('fires on the first message in the dead-letter queue of %s', (job) => {
    const s = get();
    const queue = oneIdOf(s.resources, 'AWS::SQS::Queue', new RegExp(`/Jobs/${pascal(job)}DeadLetters/`));

    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: name(`job-${job}-dead-letters`),
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('sends every alarm and its recovery to the encrypted alarm topic', () => {
    const s = get();
    const topic = oneIdOf(s.resources, 'AWS::SNS::Topic', /\/Monitoring\/Alarms\//);

    for (const id of idsOf(s.resources, 'AWS::CloudWatch::Alarm')) {
      expect(s.resources[id]!.Properties).toMatchObject({
        AlarmActions: [ref(topic)],
        OKActions: [ref(topic)],
      });
    }
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('draws a dashboard', () => {
    get().template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: `eatsential-${stage}`,
    });
  });
});

it('subscribes the alarm email when one is set, and nothing otherwise', () => {
  dev.template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'oncall@eatsential.example',
  });
  prod.template.resourceCountIs('AWS::SNS::Subscription', 0);
});
