import { Match } from 'aws-cdk-lib/assertions';
import { domains } from '../../functions/domains';
import { jobs } from '../../functions/jobs/table';
import { routes } from '../../functions/routes';
import { stageSettings } from '../../lib/stage';
import { getAtt, idsOf, oneIdOf, pascal, ref, synthStage, type Resources, type Synth } from './synth';

let dev: Synth;
let prod: Synth;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

const stages = [
  ['dev', () => dev],
  ['prod', () => prod],
] as const;

/** The app's own Lambdas (not the providers CDK adds), by construct name. */
function appFunctions(resources: Resources): Record<string, string> {
  return Object.fromEntries(
    idsOf(resources, 'AWS::Lambda::Function', /\/Function\/Resource$/).map((id) => {
      const path = String((resources[id]!.Metadata as Record<string, unknown>)['aws:cdk:path']);
      return [path.split('/').slice(1, -2).join('/'), id];
    }),
  );
}

/** Secrets Manager secrets a role may read (GetSecretValue), as `Ref`/`GetAtt` JSON. */
function readableSecrets(resources: Resources, role: string): string[] {
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties!.Roles as { Ref: string }[]).some((x) => x.Ref === role),
    )
    .flatMap(
      (r) =>
        (
          r.Properties!.PolicyDocument as {
            Statement: { Effect: string; Action: unknown; Resource: unknown }[];
          }
        ).Statement,
    )
    .filter(
      (st) => st.Effect === 'Allow' && JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue'),
    )
    .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
    .map((r) => JSON.stringify(r))
    .sort();
}

const secretLooking = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9+/=_-]{24,}$/;

describe.each(stages)('secrets on %s', (_stage, get) => {
  it('never puts a secret value in a Lambda environment: only plain settings and secret ARNs', () => {
    const s = get();
    const secrets = new Set(idsOf(s.resources, 'AWS::SecretsManager::Secret'));
    const fns = idsOf(s.resources, 'AWS::Lambda::Function');

    for (const id of fns) {
      const vars =
        (s.resources[id]!.Properties!.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables ?? {};
      for (const [name, value] of Object.entries(vars)) {
        const shown = `${id}.${name} = ${JSON.stringify(value)}`;
        expect(shown).not.toContain('{{resolve:');
        if (typeof value === 'string') {
          expect([shown, secretLooking.test(value)]).toEqual([shown, false]);
          expect(name).not.toMatch(/SECRET_ARN$/);
        } else if (name.endsWith('_SECRET_ARN')) {
          const r = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
          const isSecretRef = r.Ref !== undefined && secrets.has(r.Ref);
          const isMasterSecret = r['Fn::GetAtt']?.[1] === 'MasterUserSecret.SecretArn';
          expect([shown, isSecretRef || isMasterSecret]).toEqual([shown, true]);
        } else {
          expect(Object.keys(value as object)).toEqual([expect.stringMatching(/^(Ref|Fn::GetAtt)$/)]);
          const target =
            (value as { Ref?: string; 'Fn::GetAtt'?: [string, string] }).Ref ??
            (value as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
          expect([shown, s.resources[target]!.Type]).not.toEqual([shown, 'AWS::SecretsManager::Secret']);
        }
      }
    }
  });

  it('generates every secret and encrypts it with the data key', () => {
    const s = get();
    const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);

    for (const id of idsOf(s.resources, 'AWS::SecretsManager::Secret')) {
      expect(s.resources[id]!.Properties).toMatchObject({
        KmsKeyId: getAtt(dataKey),
        GenerateSecretString: expect.any(Object),
      });
      expect(s.resources[id]!.Properties!.SecretString).toBeUndefined();
    }
  });

  it('shapes the generated secrets as the functions read them', () => {
    const s = get();

    for (const username of ['eatsential_api', 'eatsential_jobs']) {
      s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: {
          SecretStringTemplate: JSON.stringify({ username }),
          GenerateStringKey: 'password',
          ExcludePunctuation: true,
        },
      });
    }
    const secret = (name: string) =>
      s.resources[oneIdOf(s.resources, 'AWS::SecretsManager::Secret', new RegExp(`/Secrets/${name}/`))]!
        .Properties!;
    expect(secret('JwtSigningKey').GenerateSecretString).toEqual({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(secret('NoteKeyring').GenerateSecretString).toMatchObject({
      SecretStringTemplate: '{"current":"1"}',
      GenerateStringKey: 'key_1',
      PasswordLength: 64,
    });
  });

  it('names the secrets only where they are retained', () => {
    const s = get();
    const names = idsOf(s.resources, 'AWS::SecretsManager::Secret').map(
      (id) => s.resources[id]!.Properties!.Name,
    );

    if (_stage === 'prod') {
      expect([...names].sort()).toEqual([
        'eatsential/prod/db/eatsential_api',
        'eatsential/prod/db/eatsential_jobs',
        'eatsential/prod/jwt-signing-key',
        'eatsential/prod/note-keyring',
      ]);
    } else {
      expect(names).toEqual([undefined, undefined, undefined, undefined]);
    }
  });

  it('lets each Lambda read only the secrets it needs', () => {
    const s = get();
    const fns = appFunctions(s.resources);
    const secret = (name: string) =>
      JSON.stringify(
        ref(oneIdOf(s.resources, 'AWS::SecretsManager::Secret', new RegExp(`/Secrets/${name}/`))),
      );
    const instance = oneIdOf(s.resources, 'AWS::RDS::DBInstance', /\/Database\/Instance\//);
    const roleOf = (fn: string) =>
      (s.resources[fn]!.Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];

    const expected: Record<string, string[]> = {
      Authorizer: [secret('JwtSigningKey')],
      Migrate: [
        JSON.stringify(getAtt(instance, 'MasterUserSecret.SecretArn')),
        secret('ApiDbUser'),
        secret('JobsDbUser'),
      ],
    };
    for (const job of jobs)
      expected[`Jobs/${pascal(job.name)}`] = [
        secret('JobsDbUser'),
        ...(job.needs.noteKeyring ? [secret('NoteKeyring')] : []),
      ];
    // The signing key only where a route of the domain needs it: to verify access tokens
    // (user and admin routes) or to key idempotency fingerprints (idempotent routes).
    for (const [domain, spec] of Object.entries(domains)) {
      const own = routes.filter((r) => r.domain === domain);
      const verifiesTokens = own.some((r) => r.access !== 'public' || ('idempotent' in r && r.idempotent));
      expected[`Api${pascal(domain)}`] = [
        secret('ApiDbUser'),
        ...(verifiesTokens ? [secret('JwtSigningKey')] : []),
        ...('noteKeyring' in spec && spec.noteKeyring ? [secret('NoteKeyring')] : []),
      ];
    }

    expect(Object.keys(fns).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, fn] of Object.entries(fns)) {
      expect([name, readableSecrets(s.resources, roleOf(fn))]).toEqual([name, [...expected[name]!].sort()]);
      const vars = (s.resources[fn]!.Properties!.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect([name, 'JWT_SECRET_ARN' in vars]).toEqual([
        name,
        expected[name]!.includes(secret('JwtSigningKey')),
      ]);
    }
    // The platform domain serves public documents only: it never holds the signing key.
    expect(expected.ApiPlatform).toEqual([secret('ApiDbUser')]);
  });

  it('lets the mail-sending domains and jobs send only from the configured identity and address', () => {
    const s = get();
    const senders = [
      ...Object.entries(domains).filter(([, d]) => d.sendsEmail),
      ...jobs.filter((j) => j.needs.sendsEmail),
    ];
    expect(senders.length).toBeGreaterThan(0);

    const statements = Object.values(s.resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => JSON.stringify(st.Action).includes('ses:'));
    expect(statements).toHaveLength(senders.length);
    for (const st of statements) {
      expect(st.Action).toBe('ses:SendEmail');
      expect(JSON.stringify(st.Resource)).toMatch(/:identity\/[a-z0-9.-]+\.[a-z]+"/);
      expect(st.Condition).toEqual({ StringEquals: { 'ses:FromAddress': expect.stringMatching(/@/) } });
    }
  });
});

describe.each(stages)('logs and keys on %s', (_stage, get) => {
  it('gives every log group a retention period and the telemetry key', () => {
    const s = get();
    const telemetry = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Telemetry\//);
    const groups = idsOf(s.resources, 'AWS::Logs::LogGroup');

    expect(groups.length).toBeGreaterThan(5);
    for (const id of groups) {
      expect([id, s.resources[id]!.Properties]).toEqual([
        id,
        expect.objectContaining({ RetentionInDays: expect.any(Number), KmsKeyId: getAtt(telemetry) }),
      ]);
    }
  });

  it('sends every Lambda, CDK providers included, to a log group of this stack', () => {
    const s = get();
    const groups = new Set(idsOf(s.resources, 'AWS::Logs::LogGroup'));

    for (const id of idsOf(s.resources, 'AWS::Lambda::Function')) {
      const group = (s.resources[id]!.Properties!.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)
        ?.LogGroup?.Ref;
      expect([id, group !== undefined && groups.has(group)]).toEqual([id, true]);
    }
  });

  it('rotates both customer-managed keys', () => {
    for (const id of idsOf(get().resources, 'AWS::KMS::Key')) {
      expect(get().resources[id]!.Properties!.EnableKeyRotation).toBe(true);
    }
    get().template.resourceCountIs('AWS::KMS::Key', 2);
  });

  it('encrypts the alarm topic with the telemetry key', () => {
    const telemetry = oneIdOf(get().resources, 'AWS::KMS::Key', /\/Keys\/Telemetry\//);
    get().template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(telemetry) });
  });
});

describe.each(stages)('backups on %s', (stage, get) => {
  const exportsBucket = (s: Synth) => oneIdOf(s.resources, 'AWS::S3::Bucket', /\/Backups\/Exports\//);

  it('encrypts exports with the data key, versions them, blocks public access and logs access elsewhere', () => {
    const s = get();
    const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);
    const logBucket = oneIdOf(s.resources, 'AWS::S3::Bucket', /\/Backups\/AccessLogs\//);

    expect(s.resources[exportsBucket(s)]!.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(dataKey) } },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: ref(logBucket) },
    });
  });

  it('moves exports to cold storage and expires them by lifecycle', () => {
    const s = get();
    const rules = (
      s.resources[exportsBucket(s)]!.Properties!.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    expect(rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: expect.any(Number) }),
    );
    if (stage === 'prod') {
      expect(rules).toContainEqual(
        expect.objectContaining({
          Transitions: [
            { StorageClass: 'GLACIER', TransitionInDays: expect.any(Number) },
            { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: expect.any(Number) },
          ],
        }),
      );
    }
  });

  it('lets nothing delete an export and nothing reach the bucket without TLS', () => {
    const s = get();
    const bucket = exportsBucket(s);

    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
            Condition: Match.absent(),
          }),
        ]),
      },
    });
    const deletes = Object.values(s.resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter(
        (st) =>
          st.Effect === 'Allow' &&
          /s3:(\*|Delete)/.test(JSON.stringify(st.Action)) &&
          JSON.stringify(st.Resource).includes(bucket),
      );
    expect(deletes).toEqual([]);
  });

  it("expires a person's exports (under exports/) 7 days after they are written", () => {
    const s = get();
    const rules = (
      s.resources[exportsBucket(s)]!.Properties!.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    expect(rules).toContainEqual({
      Id: 'ExpirePersonalExports',
      Status: 'Enabled',
      Prefix: 'exports/',
      ExpirationInDays: 7,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });

  it('locks every export version with S3 Object Lock for at least as long as the lifecycle keeps it', () => {
    const s = get();
    const props = s.resources[exportsBucket(s)]!.Properties!;
    const retention = (
      props.ObjectLockConfiguration as { Rule: { DefaultRetention: { Days: number; Mode: string } } }
    ).Rule.DefaultRetention;
    const rule = (
      props.LifecycleConfiguration as {
        Rules: {
          Id: string;
          ExpirationInDays?: number;
          NoncurrentVersionExpiration?: { NoncurrentDays: number };
        }[];
      }
    ).Rules.find((r) => r.Id === 'ColdStorageThenExpiry')!;

    expect(props.ObjectLockEnabled).toBe(true);
    expect(props.ObjectLockConfiguration).toMatchObject({ ObjectLockEnabled: 'Enabled' });
    expect(retention.Mode).toBe(stage === 'prod' ? 'COMPLIANCE' : 'GOVERNANCE');
    expect(retention.Days).toBe(stageSettings(stage).backups.expireExportsAfter.toDays());
    expect(retention.Days).toBeGreaterThanOrEqual(rule.ExpirationInDays!);
    expect(rule.NoncurrentVersionExpiration!.NoncurrentDays).toBeGreaterThanOrEqual(retention.Days);
  });

  if (stage === 'prod') {
    it('snapshots the database daily with AWS Backup into a vault encrypted with the data key, kept 35 days', () => {
      const s = get();
      const dataKey = oneIdOf(s.resources, 'AWS::KMS::Key', /\/Keys\/Data\//);
      const instance = oneIdOf(s.resources, 'AWS::RDS::DBInstance', /\/Database\/Instance\//);

      s.template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: getAtt(dataKey) });
      s.template.hasResourceProperties('AWS::Backup::BackupPlan', {
        BackupPlan: {
          BackupPlanRule: [
            Match.objectLike({
              ScheduleExpression: Match.stringLikeRegexp('^cron\\(\\d+ \\d+ \\* \\* \\? \\*\\)$'),
              Lifecycle: { DeleteAfterDays: 35 },
            }),
          ],
        },
      });
      s.template.hasResourceProperties('AWS::Backup::BackupSelection', {
        BackupSelection: Match.objectLike({
          Resources: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([ref(instance)])] })],
        }),
      });
    });

    it('locks the vault in compliance mode (immutable after 3 days) and denies deleting recovery points', () => {
      get().template.hasResourceProperties('AWS::Backup::BackupVault', {
        LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: 3 },
        AccessPolicy: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: Match.arrayWith(['backup:DeleteRecoveryPoint']) }),
          ]),
        }),
      });
    });

    it('names the vault after this deployment of the stack, so a kept vault never blocks the next one', () => {
      const vault = Object.values(get().template.findResources('AWS::Backup::BackupVault'))[0]!;
      expect(JSON.stringify(vault.Properties.BackupVaultName)).toContain('"Ref":"AWS::StackId"');
    });
  } else {
    it('has no AWS Backup vault or plan, so dev can be destroyed and deployed again', () => {
      const s = get();
      s.template.resourceCountIs('AWS::Backup::BackupVault', 0);
      s.template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    });
  }
});
