import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, reasons } from './nag';

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Isolated subnets of the instance and the proxy. */
  readonly subnets: ec2.SubnetSelection;
  /** Encrypts storage, Performance Insights and the master secret. */
  readonly key: kms.IKey;
  /** Encrypts the log groups the instance exports to. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** RDS instance identifier; also names the exported log groups. */
  readonly instanceIdentifier: string;
  /** Login-role secrets RDS Proxy connects with (`{"username","password"}`). */
  readonly proxySecrets: readonly secretsmanager.ISecret[];
  /**
   * @default ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM)
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * @default rds.PostgresEngineVersion.VER_17 (latest minor, upgraded automatically)
   */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /**
   * @default 'eatsential'
   */
  readonly databaseName?: string;
  /**
   * @default 'postgres'
   */
  readonly masterUsername?: string;
  /**
   * @default false
   */
  readonly multiAz?: boolean;
  /**
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * SNAPSHOT keeps a final snapshot when the instance is deleted.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Automated backups and point-in-time recovery window, 1 to 35 days.
   * @default Duration.days(35)
   */
  readonly backupRetention?: Duration;
  /**
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Storage autoscaling ceiling.
   * @default 100
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Statements slower than this are logged (without their parameters).
   * @default Duration.millis(100)
   */
  readonly slowStatementThreshold?: Duration;
}

/**
 * RDS for PostgreSQL in isolated subnets, encrypted with the data key, behind RDS Proxy.
 *
 * Network: the instance's security group admits 5432 only from the proxy and from what
 * `allowMigrationsFrom` names (the migrate Lambda, which needs the instance itself because
 * advisory locks pin proxy connections). The proxy admits what `allowClientsFrom` names.
 *
 * Server logs never hold bound parameters (they can carry note-encryption keys): statement
 * logging is off except for slow statements, and parameter logging is off on success and error.
 */
export class Database extends Construct {
  public readonly instance: rds.DatabaseInstance;
  public readonly proxy: rds.DatabaseProxy;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly proxySecurityGroup: ec2.SecurityGroup;
  public readonly parameterGroup: rds.ParameterGroup;
  /** The master user's secret, created and rotated by RDS, encrypted with the data key. */
  public readonly masterSecret: secretsmanager.ISecret;
  public readonly logGroups: readonly logs.LogGroup[];
  public readonly databaseName: string;
  public readonly port = 5432;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const backupRetention = props.backupRetention ?? Duration.days(35);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const allocated = props.allocatedStorageGiB ?? 20;
    const maxAllocated = props.maxAllocatedStorageGiB ?? 100;
    const slow = props.slowStatementThreshold ?? Duration.millis(100);
    this.databaseName = props.databaseName ?? 'eatsential';
    if (backupRetention.toDays() < 1 || backupRetention.toDays() > 35) {
      throw new Error(
        'Backup retention must be 1 to 35 days (point-in-time recovery needs automated backups)',
      );
    }
    if (props.deletionProtection && removalPolicy === RemovalPolicy.DESTROY) {
      throw new Error(
        'A database with deletion protection cannot have RemovalPolicy.DESTROY; use SNAPSHOT or RETAIN',
      );
    }
    if (allocated < 20 || maxAllocated < allocated) {
      throw new Error(
        `Storage must be at least 20 GiB and below its autoscaling ceiling (got ${allocated} / ${maxAllocated})`,
      );
    }
    if (props.proxySecrets.length === 0) throw new Error('RDS Proxy needs at least one login-role secret');
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(props.instanceIdentifier)) {
      throw new Error(
        `Instance identifier "${props.instanceIdentifier}" must be lowercase letters, digits and dashes`,
      );
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL instance: 5432 from RDS Proxy and the migrate Lambda only',
      allowAllOutbound: false,
    });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: props.vpc,
      description: 'RDS Proxy: 5432 from the API and job Lambdas; out to the instance and the VPC endpoints',
      allowAllOutbound: false,
    });
    this.proxySecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'Secrets Manager and KMS endpoints',
    );

    const engine = rds.DatabaseInstanceEngine.postgres({
      version: props.engineVersion ?? rds.PostgresEngineVersion.VER_17,
    });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Eatsential: TLS only, pg_stat_statements, slow statements logged without parameters',
      parameters: {
        'rds.force_ssl': '1',
        shared_preload_libraries: 'pg_stat_statements',
        log_min_duration_statement: String(slow.toMilliseconds()),
        log_statement: 'none',
        log_parameter_max_length: '0',
        log_parameter_max_length_on_error: '0',
        log_connections: '1',
        log_disconnections: '1',
        password_encryption: 'scram-sha-256',
      },
    });

    this.logGroups = ['postgresql', 'upgrade'].map(
      (log) =>
        new logs.LogGroup(this, `${log === 'postgresql' ? 'Postgresql' : 'Upgrade'}Logs`, {
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
          retention: props.logRetention,
          encryptionKey: props.logsKey,
          removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
        }),
    );

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceIdentifier: props.instanceIdentifier,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      port: this.port,
      multiAz: props.multiAz ?? false,
      databaseName: this.databaseName,
      credentials: rds.Credentials.fromUsername(props.masterUsername ?? 'postgres', {
        encryptionKey: props.key,
      }),
      manageMasterUserPassword: true,
      storageEncryptionKey: props.key,
      storageType: rds.StorageType.GP3,
      allocatedStorage: allocated,
      maxAllocatedStorage: maxAllocated,
      backupRetention,
      preferredBackupWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'sun:04:30-sun:05:30',
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: false,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy,
      parameterGroup: this.parameterGroup,
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      monitoringInterval: Duration.seconds(60),
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    for (const group of this.logGroups) this.instance.node.addDependency(group);
    if (!this.instance.secret) throw new Error('RDS did not expose the managed master secret');
    this.masterSecret = this.instance.secret;

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(this.instance),
      secrets: [...props.proxySecrets],
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
      iamAuth: false,
      clientPasswordAuthType: rds.ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
      idleClientTimeout: Duration.minutes(30),
      maxConnectionsPercent: 90,
      maxIdleConnectionsPercent: 50,
      borrowTimeout: Duration.seconds(30),
      debugLogging: false,
    });
    // The proxy opens the instance's port from its security group (ingress on the instance's
    // group, egress on its own) with the port as a deploy-time attribute; pin both rules to the
    // port the instance is created with, so they read, and are checked, as 5432.
    for (const child of [...this.securityGroup.node.children, ...this.proxySecurityGroup.node.children]) {
      if (
        (child instanceof ec2.CfnSecurityGroupIngress || child instanceof ec2.CfnSecurityGroupEgress) &&
        Token.isUnresolved(child.fromPort)
      ) {
        child.fromPort = this.port;
        child.toPort = this.port;
      }
    }

    acknowledge(this.instance, {
      'AwsSolutions-RDS11':
        'The instance listens on 5432 inside isolated subnets and admits only the RDS Proxy and migrate Lambda security groups; a non-default port would add no protection and break tooling defaults.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]':
        'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy RDS requires for enhanced monitoring; it only writes the RDSOSMetrics log group.',
    });
    if (!props.multiAz) {
      const reason =
        'Single-AZ only outside prod: dev holds synthetic accounts, not real health data, and is rebuilt from migrations; prod is Multi-AZ (asserted by test/infra).';
      acknowledge(this.instance, { 'AwsSolutions-RDS3': reason, 'HIPAA.Security-RDSMultiAZSupport': reason });
    }
    if (!props.deletionProtection) {
      const reason =
        'Deletion protection is off only outside prod so dev can be torn down; prod has deletion protection and a final snapshot (asserted by test/infra).';
      acknowledge(this.instance, {
        'AwsSolutions-RDS10': reason,
        'HIPAA.Security-RDSInstanceDeletionProtectionEnabled': reason,
      });
    }
    acknowledge(this.proxy, { 'HIPAA.Security-IAMNoInlinePolicy': reasons.inlineDefaultPolicy });
  }

  /** Lets the migrate Lambda reach the instance itself (not the proxy). */
  allowMigrationsFrom(peer: ec2.SecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(this.port), description);
    peer.addEgressRule(this.securityGroup, ec2.Port.tcp(this.port), 'PostgreSQL instance (migrations)');
  }

  /** Lets a Lambda reach the database through RDS Proxy. */
  allowClientsFrom(peer: ec2.SecurityGroup, description: string): void {
    this.proxySecurityGroup.addIngressRule(peer, ec2.Port.tcp(this.port), description);
    peer.addEgressRule(this.proxySecurityGroup, ec2.Port.tcp(this.port), 'RDS Proxy');
  }
}
