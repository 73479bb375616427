import { Match } from 'aws-cdk-lib/assertions';
import { getAtt, idsOf, oneIdOf, ref, synthStage, type Resources, type Synth } from './synth';

let dev: Synth;
let prod: Synth;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

const ids = (s: Synth) => {
  const r = s.resources;
  return {
    dataKey: oneIdOf(r, 'AWS::KMS::Key', /\/Keys\/Data\//),
    instance: oneIdOf(r, 'AWS::RDS::DBInstance', /\/Database\/Instance\//),
    dbSg: oneIdOf(r, 'AWS::EC2::SecurityGroup', /\/Database\/SecurityGroup\//),
    proxySg: oneIdOf(r, 'AWS::EC2::SecurityGroup', /\/Database\/ProxySecurityGroup\//),
    migrateSg: oneIdOf(r, 'AWS::EC2::SecurityGroup', /\/Migrate\/SecurityGroup\//),
    migrateFn: oneIdOf(r, 'AWS::Lambda::Function', /\/Migrate\/Function\//),
    proxy: oneIdOf(r, 'AWS::RDS::DBProxy', /\/Database\/Proxy\//),
  };
};

/** Subnets by the name CDK tags them with, and whether they are isolated. */
function subnets(resources: Resources, name: string): string[] {
  return idsOf(resources, 'AWS::EC2::Subnet').filter((id) => {
    const tags = (resources[id]!.Properties!.Tags as { Key: string; Value: string }[]) ?? [];
    return tags.some((t) => t.Key === 'aws-cdk:subnet-name' && t.Value === name);
  });
}

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
])('database on %s', (_stage, get) => {
  it('is encrypted with the customer-managed data key, which rotates', () => {
    const s = get();
    const { dataKey } = ids(s);

    s.template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: getAtt(dataKey),
      PerformanceInsightsKMSKeyId: getAtt(dataKey),
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: getAtt(dataKey) },
    });
    expect(s.resources[dataKey]!.Properties!.EnableKeyRotation).toBe(true);
  });

  it('is not publicly accessible and sits in the isolated data subnets', () => {
    const s = get();
    const data = subnets(s.resources, 'data');

    s.template.hasResourceProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false });
    expect(data.length).toBeGreaterThanOrEqual(2);
    s.template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: data.map(ref) });
    for (const id of data) {
      const tags = s.resources[id]!.Properties!.Tags as { Key: string; Value: string }[];
      expect(tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Isolated' });
      expect(s.resources[id]!.Properties!.MapPublicIpOnLaunch).toBe(false);
    }
  });

  it('runs a current PostgreSQL with backups, log export, monitoring and minor upgrades', () => {
    get().template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^1[7-9]'),
      BackupRetentionPeriod: 35,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      EnableIAMDatabaseAuthentication: true,
      AutoMinorVersionUpgrade: true,
      EnablePerformanceInsights: true,
      MonitoringInterval: 60,
      DBName: 'eatsential',
      Port: '5432',
    });
  });

  it('loads pg_stat_statements, logs slow statements without parameters, and forces TLS', () => {
    get().template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: Match.stringLikeRegexp('^postgres1[7-9]$'),
      Parameters: {
        'rds.force_ssl': '1',
        shared_preload_libraries: 'pg_stat_statements',
        log_min_duration_statement: '100',
        log_statement: 'none',
        log_parameter_max_length: '0',
        log_parameter_max_length_on_error: '0',
      },
    });
  });

  it('exports server logs to encrypted log groups created with a retention period', () => {
    const s = get();
    const telemetryKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Telemetry\//);

    for (const log of ['postgresql', 'upgrade']) {
      s.template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/rds/instance/eatsential-${_stage}/${log}`,
        KmsKeyId: getAtt(telemetryKey),
        RetentionInDays: Match.anyValue(),
      });
    }
  });

  it('puts RDS Proxy in front, TLS required, in the data subnets, logging in as the api and jobs roles', () => {
    const s = get();
    const { proxySg } = ids(s);
    const secrets = (name: string) =>
      oneIdOf(s.resources, 'AWS::SecretsManager::Secret', new RegExp(`/Secrets/${name}/`));

    s.template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      VpcSubnetIds: subnets(s.resources, 'data').map(ref),
      VpcSecurityGroupIds: [getAtt(proxySg, 'GroupId')],
      Auth: [
        Match.objectLike({ AuthScheme: 'SECRETS', SecretArn: ref(secrets('ApiDbUser')) }),
        Match.objectLike({ AuthScheme: 'SECRETS', SecretArn: ref(secrets('JobsDbUser')) }),
      ],
    });
  });

  it('admits PostgreSQL to the instance only from the proxy and the migrate Lambda', () => {
    const s = get();
    const { dbSg, proxySg, migrateSg } = ids(s);

    expect(s.resources[dbSg]!.Properties!.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(s.resources).filter(
      (r) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        JSON.stringify(r.Properties!.GroupId) === JSON.stringify(getAtt(dbSg, 'GroupId')),
    );
    expect(ingress.map((r) => r.Properties)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          SourceSecurityGroupId: getAtt(proxySg, 'GroupId'),
          FromPort: 5432,
          ToPort: 5432,
        }),
        expect.objectContaining({
          SourceSecurityGroupId: getAtt(migrateSg, 'GroupId'),
          FromPort: 5432,
          ToPort: 5432,
        }),
      ]),
    );
    expect(ingress).toHaveLength(2);
  });

  it('admits nothing to the proxy but the API and job Lambdas', () => {
    const s = get();
    const { proxySg } = ids(s);
    const lambdaSgs = idsOf(
      s.resources,
      'AWS::EC2::SecurityGroup',
      /\/(Api[A-Z]\w*|Jobs\/\w+)\/SecurityGroup\//,
    );

    const sources = Object.values(s.resources)
      .filter(
        (r) =>
          r.Type === 'AWS::EC2::SecurityGroupIngress' &&
          JSON.stringify(r.Properties!.GroupId) === JSON.stringify(getAtt(proxySg, 'GroupId')),
      )
      .map((r) => r.Properties!.SourceSecurityGroupId);
    expect(sources).toEqual(expect.arrayContaining(lambdaSgs.map((id) => getAtt(id, 'GroupId'))));
    expect(sources).toHaveLength(lambdaSgs.length);
  });

  it('runs migrations with a trigger after the database, against the instance endpoint, before the functions update', () => {
    const s = get();
    const { instance, migrateFn, migrateSg, dbSg } = ids(s);
    const trigger = Object.entries(s.resources).find(([, r]) => r.Type === 'Custom::Trigger')!;
    const migrateRole = (s.resources[migrateFn]!.Properties!.Role as { 'Fn::GetAtt': [string] })[
      'Fn::GetAtt'
    ][0];
    const migrateRolePolicy = idsOf(s.resources, 'AWS::IAM::Policy').find((id) =>
      (s.resources[id]!.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === migrateRole),
    )!;
    // The migrate Lambda's way out to the instance, and the instance's way in from it.
    const egress = idsOf(s.resources, 'AWS::EC2::SecurityGroupEgress').filter(
      (id) =>
        JSON.stringify(s.resources[id]!.Properties!.GroupId) ===
          JSON.stringify(getAtt(migrateSg, 'GroupId')) &&
        JSON.stringify(s.resources[id]!.Properties!.DestinationSecurityGroupId) ===
          JSON.stringify(getAtt(dbSg, 'GroupId')),
    );
    const ingress = idsOf(s.resources, 'AWS::EC2::SecurityGroupIngress').filter(
      (id) =>
        JSON.stringify(s.resources[id]!.Properties!.GroupId) === JSON.stringify(getAtt(dbSg, 'GroupId')) &&
        JSON.stringify(s.resources[id]!.Properties!.SourceSecurityGroupId) ===
          JSON.stringify(getAtt(migrateSg, 'GroupId')),
    );

    expect(egress).toHaveLength(1);
    expect(ingress).toHaveLength(1);
    expect(s.resources[egress[0]!]!.Properties).toMatchObject({ FromPort: 5432, ToPort: 5432 });
    expect(trigger[1].DependsOn).toEqual(
      expect.arrayContaining([instance, migrateFn, migrateRole, migrateRolePolicy, egress[0], ingress[0]]),
    );
    expect(JSON.stringify(trigger[1].Properties!.HandlerArn)).toContain('MigrateFunctionCurrentVersion');
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DB_HOST: getAtt(instance, 'Endpoint.Address'),
          DB_SECRET_ARN: getAtt(instance, 'MasterUserSecret.SecretArn'),
          API_DB_SECRET_ARN: Match.anyValue(),
          JOBS_DB_SECRET_ARN: Match.anyValue(),
        }),
      },
      ReservedConcurrentExecutions: 1,
    });
    const waiting = idsOf(s.resources, 'AWS::Lambda::Function', /\/(Api[A-Z]\w*|Jobs\/\w+)\/Function\//);
    expect(waiting.length).toBeGreaterThan(0);
    for (const id of waiting) expect(s.resources[id]!.DependsOn).toContain(trigger[0]);
    expect(s.resources[migrateFn]!.DependsOn ?? []).not.toContain(trigger[0]);
  });

  it('connects every other DB-using Lambda through the proxy', () => {
    const s = get();
    const { proxy } = ids(s);

    for (const id of idsOf(s.resources, 'AWS::Lambda::Function', /\/(Api[A-Z]\w*|Jobs\/\w+)\/Function\//)) {
      const vars = (s.resources[id]!.Properties!.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(vars.DB_HOST).toEqual(getAtt(proxy, 'Endpoint'));
      expect(vars).toMatchObject({ DB_PORT: '5432', DB_NAME: 'eatsential' });
    }
  });
});

describe('stage differences', () => {
  it('makes prod Multi-AZ, deletion-protected, snapshotted on delete and termination-protected', () => {
    prod.template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: true, DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
    expect(prod.stack.terminationProtection).toBe(true);
  });

  it('keeps dev single-AZ and disposable', () => {
    dev.template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: false, DeletionProtection: false }),
      DeletionPolicy: 'Delete',
    });
  });

  it('retains prod keys, secrets, log groups, buckets and the vault when the stack goes', () => {
    // RetainExceptOnCreate: kept on delete and update, removed only when the deploy that created
    // them rolls back (so a failed first deploy leaves nothing that blocks the retry).
    for (const [type, policy] of [
      ['AWS::KMS::Key', 'RetainExceptOnCreate'],
      ['AWS::SecretsManager::Secret', 'RetainExceptOnCreate'],
      ['AWS::Logs::LogGroup', 'RetainExceptOnCreate'],
      ['AWS::S3::Bucket', 'Retain'],
      ['AWS::Backup::BackupVault', 'Retain'],
    ]) {
      const found = idsOf(prod.resources, type!);
      expect([type, found.length]).not.toEqual([type, 0]);
      for (const id of found) {
        expect([type, prod.resources[id]!.DeletionPolicy]).toEqual([type, policy]);
        expect([type, prod.resources[id]!.UpdateReplacePolicy]).toEqual([type, 'Retain']);
      }
    }
  });

  it('gives nothing that outlives its stack a fixed name, so the stack can always be created again', () => {
    const nameProperties = ['Name', 'LogGroupName', 'BackupVaultName', 'BucketName', 'AliasName'];
    for (const s of [dev, prod]) {
      const fixed = Object.entries(s.resources)
        .filter(([, r]) => r.DeletionPolicy === 'Retain')
        .flatMap(([id, r]) =>
          nameProperties
            .filter((p) => typeof r.Properties?.[p] === 'string')
            .map((p) => `${id}.${p} = ${String(r.Properties![p])}`),
        );
      expect(fixed).toEqual([]);
    }
  });

  it('lets dev be destroyed: every resource but the two backup buckets is deleted with the stack', () => {
    const kept = Object.entries(dev.resources)
      .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
      .map(([id, r]) => `${r.Type} ${id}`);
    expect(kept.sort()).toEqual(
      idsOf(dev.resources, 'AWS::S3::Bucket')
        .map((id) => `AWS::S3::Bucket ${id}`)
        .sort(),
    );
    expect(idsOf(dev.resources, 'AWS::S3::Bucket')).toHaveLength(2);
  });
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
])('network on %s', (_stage, get) => {
  it('has no route to the internet: no internet or NAT gateway, every subnet isolated', () => {
    const s = get();

    s.template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const id of idsOf(s.resources, 'AWS::EC2::Subnet')) {
      expect(s.resources[id]!.Properties!.Tags).toContainEqual({
        Key: 'aws-cdk:subnet-type',
        Value: 'Isolated',
      });
    }
    for (const route of idsOf(s.resources, 'AWS::EC2::Route')) {
      expect(s.resources[route]!.Properties).not.toHaveProperty('GatewayId');
    }
  });

  it('reaches AWS services through VPC endpoints', () => {
    const s = get();
    const services = idsOf(s.resources, 'AWS::EC2::VPCEndpoint').map((id) =>
      JSON.stringify(s.resources[id]!.Properties!.ServiceName),
    );

    for (const service of ['secretsmanager', 'kms', 'logs', 'xray', 'email', 's3']) {
      expect(services.some((name) => name.includes(`".${service}"`))).toBe(true);
    }
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.secretsmanager'])] }),
      SubnetIds: subnets(s.resources, 'app').map(ref),
      PrivateDnsEnabled: true,
    });
  });

  it('records all traffic in flow logs', () => {
    const s = get();
    const group = oneIdOf(s.resources, 'AWS::Logs::LogGroup', /\/Network\/FlowLogs\//);

    s.template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogGroupName: ref(group),
      ResourceType: 'VPC',
    });
  });
});
