import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, projectRoot } from '../../lib/app';
import { parseStage } from '../../lib/stage';
import { cdkJsonContext, prebuiltStubs } from './synth';

const context = (extra: Record<string, unknown>) => ({
  ...cdkJsonContext(),
  lambdaCode: 'prebuilt',
  distDir: prebuiltStubs(),
  ...extra,
});

describe('the stage', () => {
  it.each(['dev', 'prod'])('accepts %s', (stage) => {
    expect(parseStage(stage)).toBe(stage);
  });

  it.each([['staging'], ['Prod'], [''], [' dev'], [undefined], [42]])(
    'rejects %p, saying which stages exist',
    (stage) => {
      expect(() => parseStage(stage)).toThrow(/-c stage=dev or -c stage=prod/);
    },
  );

  it('rejects an unknown stage before building anything', () => {
    const app = new App({ context: context({ stage: 'staging' }) });

    expect(() => buildApp(app)).toThrow(
      'Unknown stage "staging": deploy with -c stage=dev or -c stage=prod.',
    );
    expect(app.node.children).toHaveLength(0);
  });

  it('makes `cdk synth -c stage=qa` exit 1 with that message and no stack trace', () => {
    const run = spawnSync(
      process.execPath,
      [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), 'bin/app.ts'],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), stage: 'qa' }),
          CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'eatsential-out-')),
        },
        encoding: 'utf8',
      },
    );

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('Unknown stage "qa": deploy with -c stage=dev or -c stage=prod.');
  });

  it('names the stack after the stage', () => {
    const app = new App({ context: context({ stage: 'dev' }) });
    expect(buildApp(app).stackName).toBe('Eatsential-dev');
  });
});

describe('operator settings', () => {
  it('rejects an alarm email that is not an address', () => {
    const app = new App({ context: context({ stage: 'dev', alarmEmail: 'oncall' }) });
    expect(() => buildApp(app)).toThrow(/alarmEmail "oncall" is not an email address/);
  });

  it('rejects an unknown way of getting Lambda code', () => {
    const app = new App({ context: context({ stage: 'dev', lambdaCode: 'docker' }) });
    expect(() => buildApp(app)).toThrow(/lambdaCode must be "bundle"/);
  });

  it('rejects an app base URL that is not https', () => {
    const app = new App({ context: context({ stage: 'prod', appBaseUrl: 'http://app.eatsential.example' }) });
    expect(() => buildApp(app)).toThrow(/must be an https:\/\/ URL/);
  });
});
