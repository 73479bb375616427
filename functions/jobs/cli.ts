import { join } from 'node:path';
import { createSql, isPgError, type Sql } from '../core/db';
import { connectionFailure, describeDatabaseUrl } from '../core/dbUrl';
import { loadMigrations } from '../../sql/migrator';
import { terminalProgress, type Progress } from './report';
import { findJob, jobs } from './table';

// Powertools metrics are CloudWatch lines; a local run prints its report instead.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

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

async function pendingMigrations(sql: Sql): Promise<number> {
  const applied = new Set(
    (await sql<{ version: string }[]>`select version from public.schema_migrations`).map((r) => r.version),
  );
  return (await loadMigrations()).filter((m) => !applied.has(m.version)).length;
}

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
      run: (deps: { sql: typeof sql; progress?: Progress }) => Promise<unknown>;
    };
    // On a terminal a long job shows rows done, rate and time left on stderr; the report goes to stdout.
    const bar = process.stderr.isTTY ? terminalProgress(job.name) : undefined;
    const report = await mod.run({ sql, progress: bar?.progress });
    bar?.done((report as { rows?: number }).rows ?? 0);
    console.log(JSON.stringify(report));
    return 0;
  } catch (e) {
    // A job role made by a migration not yet applied: SET ROLE answers 22023 "role ... does not exist".
    const missingRole = isPgError(e) && e.code === '22023' && /^role ".+" does not exist$/.test(e.message);
    // The job's grants come with its migrations: denied while some are pending means not migrated.
    const deniedUnmigrated = isPgError(e) && e.code === '42501' && (await pendingMigrations(sql)) > 0;
    if (isPgError(e) && (unmigrated.has(e.code) || missingRole || deniedUnmigrated)) {
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
