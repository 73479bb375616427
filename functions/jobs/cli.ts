import { join } from 'node:path';
import { createSql } from '../core/db';
import { connectionFailure } from '../core/dbUrl';
import { findJob, jobs } from './table';

/** `npm run job -- <name>`: runs a scheduled job once against DATABASE_URL, as its Lambda would. */
async function main(): Promise<number> {
  const name = process.argv[2];
  const job = name ? findJob(name) : undefined;
  if (!job) {
    console.error(`usage: npm run job -- <${jobs.map((j) => j.name).join('|')}>`);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`DATABASE_URL is not set: job ${job.name} needs a database`);
    return 2;
  }
  const sql = createSql({ url }, { applicationName: `eatsential-job-${job.name}` });
  try {
    await sql`select 1`.catch((e: unknown) => {
      throw new Error(connectionFailure(url, e));
    });
    const mod = (await import(join(__dirname, '..', '..', job.entry))) as {
      run: (deps: { sql: typeof sql }) => Promise<unknown>;
    };
    console.log(JSON.stringify(await mod.run({ sql })));
    return 0;
  } catch (e) {
    console.error(`job ${job.name} failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then((code) => process.exit(code));
