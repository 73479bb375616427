import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, reasons } from './nag';

export interface NetworkProps {
  /** Encrypts the flow-log group. */
  readonly logsKey: kms.IKey;
  /** Retention of the flow-log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Add the SES (`email`) interface endpoint, for Lambdas that send mail.
   * @default false
   */
  readonly emailEndpoint?: boolean;
  /**
   * @default RemovalPolicy.DESTROY (flow logs are kept for their retention only while the stack exists)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A VPC with no route to the internet: two tiers of isolated subnets, `app` (Lambdas and VPC
 * endpoints) and `data` (database and RDS Proxy). Lambdas reach AWS services through interface
 * endpoints (Secrets Manager, KMS, CloudWatch Logs, X-Ray, and SES when mail is sent) and S3
 * through a gateway endpoint, so no NAT gateway exists. All traffic is recorded by flow logs.
 */
export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly appSubnets: ec2.SubnetSelection;
  public readonly dataSubnets: ec2.SubnetSelection;
  public readonly flowLogGroup: logs.LogGroup;
  public readonly flowLog: ec2.FlowLog;
  public readonly endpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    const cidr = props.cidr ?? '10.40.0.0/16';
    if (!/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/.test(cidr))
      throw new Error(`VPC CIDR "${cidr}" must be an IPv4 block from /16 to /24`);
    if (!Number.isInteger(maxAzs) || maxAzs < 2 || maxAzs > 3) {
      throw new Error(
        `maxAzs must be 2 or 3 (Multi-AZ RDS and RDS Proxy need subnets in two AZs), got ${maxAzs}`,
      );
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs,
      natGateways: 0,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    this.appSubnets = { subnetGroupName: 'app' };
    this.dataSubnets = { subnetGroupName: 'data' };

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledge(this.flowLog, { 'HIPAA.Security-IAMNoInlinePolicy': reasons.inlineDefaultPolicy });

    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
    };
    if (props.emailEndpoint) services.Email = ec2.InterfaceVpcEndpointAwsService.EMAIL;
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    for (const [name, service] of Object.entries(services)) {
      endpoints[name] = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.appSubnets,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
    this.endpoints = endpoints;
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.appSubnets],
    });
  }
}
