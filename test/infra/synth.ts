import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { Template } from 'aws-cdk-lib/assertions';
import { domains } from '../../functions/domains';
import { jobs as jobTable, type JobDefinition } from '../../functions/jobs/table';
import { buildApp, projectRoot } from '../../lib/app';
import { allBundles } from '../../lib/bundling';
import { EatsentialStack } from '../../lib/stack';
import { stageSettings, type StageName } from '../../lib/stage';

export type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }
>;

/** The context `cdk synth` reads from cdk.json (feature flags and per-stage settings). */
export function cdkJsonContext(): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
}

/**
 * Stand-ins for `npm run build` output, one `index.js` per Lambda: the template tests look at
 * the infrastructure, not at the bundles (test/infra/lambda.test.ts bundles for real).
 */
export function prebuiltStubs(
  jobs: readonly JobDefinition[] = jobTable,
  domainTable: Readonly<Record<string, { readonly entry: string }>> = domains,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-infra-'));
  for (const b of allBundles(domainTable, jobs)) {
    mkdirSync(join(dir, b.name), { recursive: true });
    writeFileSync(join(dir, b.name, 'index.js'), 'exports.handler = async () => ({});\n');
  }
  return dir;
}

/** cdk.json's context, plus the construct paths `cdk synth` writes (tests find resources by them). */
function testContext(): Record<string, unknown> {
  return { ...cdkJsonContext(), 'aws:cdk:enable-path-metadata': true };
}

export interface Synth {
  readonly app: App;
  readonly stack: EatsentialStack;
  readonly template: Template;
  readonly resources: Resources;
}

/** Synthesizes a stage exactly as bin/app.ts does (cdk.json context, both cdk-nag packs). */
export function synthStage(stage: StageName, context: Record<string, unknown> = {}): Synth {
  const app = new App({
    context: { ...testContext(), stage, lambdaCode: 'prebuilt', distDir: prebuiltStubs(), ...context },
  });
  const stack = buildApp(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
}

/** A stage stack with a job table of its own (through the stack's props, as the table would). */
export function synthWithJobs(stage: StageName, jobs: readonly JobDefinition[]): Synth {
  const app = new App({ context: testContext() });
  const stack = new EatsentialStack(app, `Jobs-${stage}`, {
    settings: stageSettings(stage),
    code: { kind: 'prebuilt', distDir: prebuiltStubs(jobs) },
    mail: { from: 'no-reply@eatsential.example', identity: 'eatsential.example' },
    appBaseUrl: 'https://app.eatsential.example',
    jobs,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
}

/** Logical ids of the resources of a type whose construct path matches. */
export function idsOf(resources: Resources, type: string, path?: RegExp): string[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .filter(
      ([, r]) =>
        !path || path.test(String((r.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'])),
    )
    .map(([id]) => id);
}

export function oneIdOf(resources: Resources, type: string, path: RegExp): string {
  const ids = idsOf(resources, type, path);
  if (ids.length !== 1) throw new Error(`expected one ${type} at ${path}, found ${ids.length}`);
  return ids[0]!;
}

/** `{"Fn::GetAtt": [id, "Arn"]}` and `{"Ref": id}` as the template writes them. */
export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
export const ref = (id: string) => ({ Ref: id });

/** Construct ids the app derives from domain and job names (`export-backup` -> `ExportBackup`). */
export const pascal = (name: string): string =>
  name.replace(/(^|[-_])([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
