import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  /** Prefix of alarm and dashboard names, e.g. `eatsential-prod`. */
  readonly namePrefix: string;
  /** Encrypts the alarm topic. */
  readonly key: kms.IKey;
  readonly api: apigw.HttpApi;
  /** Every Lambda, by a short name used in alarm names. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly database: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** The dead-letter queue of each job, by job name. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Alarm when more connections than this are open on the instance. */
  readonly dbConnectionsThreshold: number;
  /** Alarm when free storage falls below this many bytes. */
  readonly dbFreeStorageThresholdBytes: number;
  /**
   * Subscribed to the alarm topic (the address must confirm the subscription).
   * @default - no subscription; subscribe on-call tooling to the topic ARN output
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when more than this percentage of API requests answer 5xx (over 5 minutes, with at
   * least 20 requests).
   * @default 5
   */
  readonly api5xxPercent?: number;
  /**
   * @default Duration.seconds(3)
   */
  readonly apiP99Latency?: Duration;
  /**
   * @default 80
   */
  readonly dbCpuPercent?: number;
  /**
   * Alarm when at least this many client connections are pinned (15 minutes running).
   * @default 5
   */
  readonly pinnedConnectionsThreshold?: number;
}

/**
 * Alarms to one KMS-encrypted SNS topic, and a dashboard: API 5xx rate and p99 latency, each
 * Lambda's errors and throttles, database CPU, free storage and connections, RDS Proxy pinned
 * sessions, and any message in a job's dead-letter queue.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by a short name (`api-5xx-rate`, `lambda-identity-errors`, ...). */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (props.alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail)) {
      throw new Error(`alarmEmail "${props.alarmEmail}" is not an email address`);
    }
    const api5xxPercent = props.api5xxPercent ?? 5;
    const p99 = props.apiP99Latency ?? Duration.seconds(3);
    const cpu = props.dbCpuPercent ?? 80;
    const pinned = props.pinnedConnectionsThreshold ?? 5;
    if (api5xxPercent <= 0 || api5xxPercent >= 100 || cpu <= 0 || cpu >= 100) {
      throw new Error('Percentage thresholds must lie strictly between 0 and 100');
    }
    if (props.dbConnectionsThreshold < 1 || props.dbFreeStorageThresholdBytes < 1 || pinned < 1) {
      throw new Error('Count thresholds must be positive');
    }

    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: `${props.namePrefix} alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const period = Duration.minutes(5);
    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
      evaluationPeriods = 1,
    ) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmName: `${props.namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      a.addOkAction(new actions.SnsAction(this.topic));
      alarms[name] = a;
      return a;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;

    const requests = props.api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period, statistic: 'Sum' });
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period,
      label: 'API 5xx rate (%)',
    });
    const latency = props.api.metricLatency({ period, statistic: 'p99' });
    alarm(
      'api-5xx-rate',
      `More than ${api5xxPercent}% of API requests answered 5xx over 5 minutes`,
      errorRate,
      api5xxPercent,
      above,
    );
    alarm(
      'api-p99-latency',
      `API p99 latency above ${p99.toMilliseconds()} ms for 15 minutes`,
      latency,
      p99.toMilliseconds(),
      above,
      3,
    );

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `lambda-${name}-errors`,
        `Lambda ${name} failed (unhandled error or timeout)`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        1,
        atLeast,
      );
      alarm(
        `lambda-${name}-throttles`,
        `Lambda ${name} was throttled (reserved concurrency reached)`,
        fn.metricThrottles({ period, statistic: 'Sum' }),
        1,
        atLeast,
      );
    }

    const cpuMetric = props.database.metricCPUUtilization({ period, statistic: 'Average' });
    const storage = props.database.metricFreeStorageSpace({ period, statistic: 'Minimum' });
    const connections = props.database.metricDatabaseConnections({ period, statistic: 'Maximum' });
    const pinnedMetric = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnectionsCurrentlySessionPinned',
      dimensionsMap: { ProxyName: props.proxy.dbProxyName },
      period,
      statistic: 'Maximum',
    });
    alarm('db-cpu', `Database CPU above ${cpu}% for 15 minutes`, cpuMetric, cpu, above, 3);
    alarm(
      'db-free-storage',
      'Database free storage is low (storage autoscaling may be at its ceiling)',
      storage,
      props.dbFreeStorageThresholdBytes,
      below,
    );
    alarm(
      'db-connections',
      `More than ${props.dbConnectionsThreshold} database connections`,
      connections,
      props.dbConnectionsThreshold,
      above,
    );
    alarm(
      'proxy-pinned-sessions',
      'RDS Proxy is pinning client sessions (a session-level SET, prepared statement, LISTEN or temp table on the request path)',
      pinnedMetric,
      pinned,
      atLeast,
      3,
    );

    const dlqMetrics: cloudwatch.IMetric[] = [];
    for (const [job, queue] of Object.entries(props.deadLetterQueues)) {
      const visible = queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
      dlqMetrics.push(visible);
      alarm(
        `job-${job}-dead-letters`,
        `Job ${job} has a failed run in its dead-letter queue`,
        visible,
        0,
        above,
      );
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.namePrefix,
      defaultInterval: Duration.hours(6),
    });
    const fns = Object.entries(props.functions);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and 5xx',
        left: [requests, serverErrors],
        right: [errorRate],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'API latency p99 (ms)', left: [latency], width: 8 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(alarms),
        width: 8,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: fns.map(([name, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda throttles',
        left: fns.map(([name, fn]) => fn.metricThrottles({ period, statistic: 'Sum', label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration p99 (ms)',
        left: fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p99', label: name })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Database CPU (%)', left: [cpuMetric], width: 6 }),
      new cloudwatch.GraphWidget({
        title: 'Database connections',
        left: [connections],
        right: [pinnedMetric],
        width: 6,
      }),
      new cloudwatch.GraphWidget({ title: 'Database free storage (bytes)', left: [storage], width: 6 }),
      new cloudwatch.GraphWidget({ title: 'Job dead letters', left: dlqMetrics, width: 6 }),
    );
  }
}
