import { createSql } from '../../core/db';
import { connectionFailure, describeDatabaseUrl } from '../../core/dbUrl';
import { exportTarget } from '../../core/s3';
import { restore, RestoreError } from './restore';

const usage =
  'usage: npm run db:restore -- s3://<bucket>/backups/<time>/manifest.json [--ledger <newer manifest>]...';

/**
 * `npm run db:restore -- <manifest>`: loads an export into the empty database at DATABASE_URL
 * (as its owner), verifying checksums first and row counts after, then re-applies the erasure
 * ledger. S3_ENDPOINT points at a local S3-compatible server; otherwise the AWS credentials in use.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const manifest = args[0];
  const ledgers: string[] = [];
  for (let i = 1; i < args.length; i += 2) {
    if (args[i] !== '--ledger' || !args[i + 1]) {
      console.error(usage);
      return 2;
    }
    ledgers.push(args[i + 1] as string);
  }
  if (!manifest || manifest.startsWith('-')) {
    console.error(usage);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set: the restore needs an empty database to load into');
    return 2;
  }
  const bucket = /^s3:\/\/([^/]+)\//.exec(manifest)?.[1] ?? '';
  const target = await exportTarget({ ...process.env, BACKUP_BUCKET: bucket });
  const sql = createSql({ url }, { applicationName: 'eatsential-restore' });
  try {
    await sql`select 1`.catch((e: unknown) => {
      throw new Error(connectionFailure(url, e));
    });
    const report = await restore(sql, target, manifest, { ledgers, log: (l) => console.error(l) });
    console.log(JSON.stringify(report));
    return 0;
  } catch (e) {
    const what = e instanceof RestoreError ? e.message : `${(e as Error).message}`;
    console.error(`restore into ${describeDatabaseUrl(url)} failed: ${what}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then((code) => process.exit(code));
