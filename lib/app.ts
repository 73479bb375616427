import { isAbsolute, join, resolve } from 'node:path';
import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { LambdaCode } from './lambda';
import { EatsentialStack } from './stack';
import { parseStage, stageSettings, type StageName } from './stage';

/** The repository root: entries, `sql/migrations` and `package-lock.json` are found from here. */
export const projectRoot = resolve(__dirname, '..');

/** Operator settings: `-c key=value`, else `eatsential:stages.<stage>.key` in cdk.json. */
interface OperatorSettings {
  readonly alarmEmail?: string;
  readonly mailFrom: string;
  readonly mailIdentity?: string;
  readonly appBaseUrl: string;
  readonly lambdaCode: 'bundle' | 'prebuilt';
  readonly distDir: string;
  readonly lambdaConcurrencyQuota?: number;
}

function readSettings(app: App, stage: StageName): OperatorSettings {
  const perStage = (app.node.tryGetContext('eatsential:stages') ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  const get = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key) ?? perStage[stage]?.[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`Context ${key} must be a string`);
    return value;
  };
  const required = (key: string): string => {
    const value = get(key);
    if (value === undefined)
      throw new Error(
        `Set ${key} for stage ${stage}: -c ${key}=... or eatsential:stages.${stage}.${key} in cdk.json`,
      );
    return value;
  };
  const lambdaCode = get('lambdaCode') ?? 'bundle';
  if (lambdaCode !== 'bundle' && lambdaCode !== 'prebuilt') {
    throw new Error(
      `lambdaCode must be "bundle" (esbuild during synth) or "prebuilt" (npm run build output), got "${lambdaCode}"`,
    );
  }
  // `-c lambdaConcurrencyQuota=2000` arrives as a string, cdk.json may hold a number.
  const quotaValue: unknown =
    app.node.tryGetContext('lambdaConcurrencyQuota') ?? perStage[stage]?.lambdaConcurrencyQuota;
  let lambdaConcurrencyQuota: number | undefined;
  if (quotaValue !== undefined && quotaValue !== null && quotaValue !== '') {
    lambdaConcurrencyQuota = Number(quotaValue);
    if (!/^\d+$/.test(String(quotaValue).trim()))
      throw new Error(
        `lambdaConcurrencyQuota must be the account's concurrent-executions quota (a whole number), got "${String(quotaValue)}"`,
      );
  }
  return {
    lambdaConcurrencyQuota,
    alarmEmail: get('alarmEmail'),
    mailFrom: required('mailFrom'),
    mailIdentity: get('mailIdentity'),
    appBaseUrl: required('appBaseUrl'),
    lambdaCode,
    distDir: get('distDir') ?? 'dist',
  };
}

/**
 * Builds the stack of the stage named by `-c stage=...` and turns on the AwsSolutions and
 * HIPAA.Security cdk-nag packs: an unacknowledged error fails the synth.
 */
export function buildApp(app: App): EatsentialStack {
  const stage = parseStage(app.node.tryGetContext('stage'));
  const settings = readSettings(app, stage);
  const code: LambdaCode =
    settings.lambdaCode === 'prebuilt'
      ? {
          kind: 'prebuilt',
          distDir: isAbsolute(settings.distDir) ? settings.distDir : join(projectRoot, settings.distDir),
        }
      : { kind: 'bundle', projectRoot };
  const mailAddress = /<([^>]+)>/.exec(settings.mailFrom)?.[1] ?? settings.mailFrom;

  const stack = new EatsentialStack(app, `Eatsential-${stage}`, {
    description: `Eatsential backend (${stage}): HTTP API, Lambdas, RDS PostgreSQL, jobs, backups`,
    terminationProtection: stage === 'prod',
    settings: stageSettings(stage),
    code,
    mail: { from: settings.mailFrom, identity: settings.mailIdentity ?? mailAddress.split('@')[1]! },
    appBaseUrl: settings.appBaseUrl,
    alarmEmail: settings.alarmEmail,
    lambdaConcurrencyQuota: settings.lambdaConcurrencyQuota,
  });
  Tags.of(stack).add('project', 'eatsential');
  Tags.of(stack).add('stage', stage);
  Tags.of(stack).add('data-classification', 'phi');

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  return stack;
}
