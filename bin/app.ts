import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

const app = new App();
if (app.node.tryGetContext('quiet') === 'true' || app.node.tryGetContext('quiet') === true) {
  // `-c quiet=true`: drop CDK's per-asset "Bundling asset ..." progress lines; errors still show.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    typeof chunk === 'string' && chunk.startsWith('Bundling asset ')
      ? true
      : write(chunk, ...rest)) as typeof process.stderr.write;
}
try {
  buildApp(app);
} catch (e) {
  // A wrong stage or a missing setting is an operator error: say what to do, without a stack trace.
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
