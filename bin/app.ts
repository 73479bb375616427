import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

try {
  buildApp(new App());
} catch (e) {
  // A wrong stage or a missing setting is an operator error: say what to do, without a stack trace.
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
