import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { domains } from '../../functions/domains';
import { jobs } from '../../functions/jobs/table';
import { buildApp, projectRoot } from '../../lib/app';
import { EatsentialStack, type DomainSpec } from '../../lib/stack';
import { stageSettings, type StageName } from '../../lib/stage';
import { cdkJsonContext, idsOf, oneIdOf, pascal, prebuiltStubs, synthStage, type Synth } from './synth';

let dev: Synth;
let prod: Synth;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

const reserved = (s: Synth, path: RegExp) =>
  s.resources[oneIdOf(s.resources, 'AWS::Lambda::Function', path)]!.Properties!.ReservedConcurrentExecutions;

/** A stage stack with a domain table of its own, as the table would give it. */
function stackWithDomains(
  stage: StageName,
  table: Readonly<Record<string, DomainSpec>>,
  lambdaConcurrencyQuota?: number,
): () => EatsentialStack {
  return () =>
    new EatsentialStack(new App({ context: cdkJsonContext() }), `Domains-${stage}`, {
      settings: stageSettings(stage),
      code: { kind: 'prebuilt', distDir: prebuiltStubs(jobs, table) },
      mail: { from: 'no-reply@eatsential.example', identity: 'eatsential.example' },
      appBaseUrl: 'https://app.eatsential.example',
      domains: table,
      lambdaConcurrencyQuota,
    });
}

/** The real table plus `count` more domains that name no reserved concurrency (the stage default). */
function withExtraDomains(count: number): Record<string, DomainSpec> {
  const extra = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `extra${i}`,
      { entry: `functions/extra${i}/handler.ts`, description: 'fixture', memoryMb: 256, timeoutSeconds: 5 },
    ]),
  );
  return { ...domains, ...extra };
}

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
] as const)('reserved concurrency on %s', (stage, get) => {
  it('reserves for each domain what its entry in functions/domains.ts says, else the stage default', () => {
    const settings = stageSettings(stage);
    for (const [domain, spec] of Object.entries(domains) as [string, DomainSpec][]) {
      expect([domain, reserved(get(), new RegExp(`/Api${pascal(domain)}/Function/`))]).toEqual([
        domain,
        spec.reservedConcurrency?.[stage] ?? settings.concurrency.domainDefault,
      ]);
    }
    expect(reserved(get(), /\/Authorizer\/Function\//)).toBe(settings.concurrency.authorizer);
  });

  it('stays within what the default account quota lets a stack reserve (1,000 minus 100)', () => {
    const s = get();
    const total = idsOf(s.resources, 'AWS::Lambda::Function')
      .map((id) => Number(s.resources[id]!.Properties!.ReservedConcurrentExecutions ?? 0))
      .reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(900);
  });
});

it('gives the platform Lambda (liveness and the OpenAPI document) a small reservation', () => {
  expect(domains.platform.reservedConcurrency).toEqual({ dev: 2, prod: 10 });
  expect(domains.identity.reservedConcurrency).toEqual({ dev: 10, prod: 100 });
  expect(reserved(prod, /\/ApiPlatform\/Function\//)).toBe(10);
  expect(reserved(prod, /\/ApiIdentity\/Function\//)).toBe(100);
});

describe('the concurrency budget', () => {
  it('rejects a domain table whose defaults add up past the quota, naming the total and the way out', () => {
    // prod: each domain's reservation or the default 50, authorizer 100, jobs and migrate 1 each, then 50 per extra domain.
    const fixed =
      Object.values(domains as Readonly<Record<string, DomainSpec>>).reduce(
        (n, d) => n + (d.reservedConcurrency?.prod ?? 50),
        0,
      ) +
      100 +
      jobs.length +
      1;
    const count = Math.floor((900 - fixed) / 50) + 1;
    const total = fixed + 50 * count;

    expect(stackWithDomains('prod', withExtraDomains(count))).toThrow(
      new RegExp(
        `reserve ${total} concurrent executions, more than the 900 this account can reserve \\(quota 1000 minus the 100 Lambda keeps unreserved\\)\\..*` +
          'Lower reservedConcurrency in functions/domains\\.ts, or raise the "Concurrent executions" quota in Service Quotas and synthesize with -c lambdaConcurrencyQuota=<new quota>',
      ),
    );
    expect(stackWithDomains('prod', withExtraDomains(count - 1))).not.toThrow();
  });

  it('rejects one domain that reserves too much, naming it first', () => {
    const table = {
      ...domains,
      reports: {
        entry: 'functions/reports/handler.ts',
        description: 'fixture',
        memoryMb: 256,
        timeoutSeconds: 5,
        reservedConcurrency: { dev: 1, prod: 800 },
      },
    };
    expect(stackWithDomains('prod', table)).toThrow(/Reservations: ApiReports 800, /);
    expect(stackWithDomains('dev', table)).not.toThrow();
  });

  it('accepts more when the account has a larger quota', () => {
    expect(stackWithDomains('prod', withExtraDomains(20), 2000)).not.toThrow();
    expect(stackWithDomains('prod', withExtraDomains(20), 1000)).toThrow(/more than the 900/);
  });

  it('reads the quota from -c lambdaConcurrencyQuota and rejects one that is not a number', () => {
    const app = (quota: unknown) =>
      new App({
        context: {
          ...cdkJsonContext(),
          stage: 'prod',
          lambdaCode: 'prebuilt',
          distDir: prebuiltStubs(),
          lambdaConcurrencyQuota: quota,
        },
      });

    expect(() => buildApp(app('300'))).toThrow(/more than the 200 this account can reserve \(quota 300/);
    expect(() => buildApp(app('lots'))).toThrow(
      /lambdaConcurrencyQuota must be the account's concurrent-executions quota/,
    );
    expect(() => buildApp(app(50))).toThrow(/lambdaConcurrencyQuota must be an integer of at least 100/);
  });

  it('makes `cdk synth -c lambdaConcurrencyQuota=300` exit 1 with the message and no stack trace', () => {
    const run = spawnSync(
      process.execPath,
      [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), 'bin/app.ts'],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({
            ...cdkJsonContext(),
            stage: 'prod',
            lambdaCode: 'prebuilt',
            distDir: prebuiltStubs(),
            lambdaConcurrencyQuota: '300',
          }),
          CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'eatsential-out-')),
        },
        encoding: 'utf8',
      },
    );

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^The Lambdas of Eatsential-prod reserve \d+ concurrent executions, more than the 200/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the note keyring of a domain', () => {
  it('is required where signed-in idempotent answers are kept, since they are sealed with it', () => {
    const { noteKeyring: _kept, ...health } = domains.health;
    expect(stackWithDomains('dev', { ...domains, health })).toThrow(
      /Domain health has signed-in idempotent routes.*set noteKeyring: true for it in functions\/domains\.ts/,
    );
    expect(stackWithDomains('dev', domains)).not.toThrow();
  });
});
