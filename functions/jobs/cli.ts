import { join } from 'node:path';
import { createSql, isPgError } from '../core/db';
import { connectionFailure, describeDatabaseUrl } from '../core/dbUrl';
import { findJob, jobs } from './table';

function usage(): string {
  const width = Math.max(...jobs.map((j) => j.name.length));
  return [
    'usage: npm run job -- <name>',
    'jobs:',
    ...jobs.map((j) => `  ${j.name.padEnd(width)}  ${j.description}`),
  ].join('\n');
}

const notMigrated = (url: string) =>
  `the database at ${describeDatabaseUrl(url)} is not migrated: run npm run db:migrate`;

/** SQLSTATEs of a schema that is not there: undefined table, schema, function or other object. */
const unmigrated = new Set(['42P01', '3F000', '42883', '42704']);

/** `npm run job -- <name>`: runs a scheduled job once against DATABASE_URL, as its Lambda would. */
async function main(): Promise<number> {
  const name = process.argv[2];
  const job = name ? findJob(name) : undefined;
  if (!job) {
    if (name) console.error(`there is no job "${name}"`);
    console.error(usage());
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`DATABASE_URL is not set: job ${job.name} needs a database`);
    return 2;
  }
  const sql = createSql({ url }, { applicationName: `eatsential-job-${job.name}` });
  try {
    const [ledger] = await sql<{ migrated: boolean }[]>`
      select to_regclass('public.schema_migrations') is not null as migrated`.catch((e: unknown) => {
      throw new Error(connectionFailure(url, e));
    });
    if (!ledger?.migrated) {
      console.error(notMigrated(url));
      return 1;
    }
    const mod = (await import(join(__dirname, '..', '..', job.entry))) as {
      run: (deps: { sql: typeof sql }) => Promise<unknown>;
    };
    console.log(JSON.stringify(await mod.run({ sql })));
    return 0;
  } catch (e) {
    if (isPgError(e) && unmigrated.has(e.code)) {
      console.error(
        `job ${job.name} failed: the database at ${describeDatabaseUrl(url)} lacks what the job needs ` +
          `(SQLSTATE ${e.code}): run npm run db:migrate`,
      );
    } else {
      console.error(`job ${job.name} failed: ${(e as Error).message}`);
    }
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then((code) => process.exit(code));
