/**
 * `npm run db:report [-- --json] [--slowest <n>]`: sql/report.ts against DATABASE_URL, printed for
 * a terminal or as one JSON document.
 */
import { parseArgs } from 'node:util';
import { createSql } from '../functions/core/db';
import { connectionFailure } from '../functions/core/dbUrl';
import { dbReport, formatReport } from '../sql/report';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, slowest: { type: 'string' } } });
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('usage: npm run db:report [-- --json] [--slowest <n>]   (DATABASE_URL names the database)');
    return 2;
  }
  const sql = createSql({ url }, { applicationName: 'eatsential-db-report' });
  try {
    try {
      await sql`select 1`;
    } catch (e) {
      console.error(connectionFailure(url, e));
      return 1;
    }
    const report = await dbReport(sql, { slowest: values.slowest ? Number(values.slowest) : undefined });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`db:report failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
