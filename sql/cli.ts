import { parseArgs } from 'node:util';
import { createSql } from '../functions/core/db';
import { connectionFailure } from '../functions/core/dbUrl';
import { migrate, rollback, status, MigrationError } from './migrator';

const usage =
  'usage: tsx sql/cli.ts migrate|rollback|status [--to <version>]   (DATABASE_URL names the database)';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { to: { type: 'string' } } });
  const command = positionals[0];
  if (command !== 'migrate' && command !== 'rollback' && command !== 'status') {
    console.error(usage);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      `DATABASE_URL is not set: ${command} needs a database (e.g. postgres://postgres@127.0.0.1:5432/eatsential); npm start migrates its embedded one itself`,
    );
    return 2;
  }
  const sql = createSql({ url }, { applicationName: 'eatsential-migrate' });
  try {
    try {
      await sql`select 1`;
    } catch (e) {
      console.error(connectionFailure(url, e));
      return 1;
    }
    const log = (line: string) => console.log(line);
    if (command === 'migrate') {
      const done = await migrate(sql, { to: values.to, log });
      console.log(done.length ? `${done.length} migration(s) applied` : 'already up to date');
    } else if (command === 'rollback') {
      const done = await rollback(sql, { to: values.to, log });
      console.log(done.length ? `${done.length} migration(s) rolled back` : 'nothing to roll back');
    } else {
      for (const s of await status(sql)) {
        console.log(
          `${s.state.padEnd(8)} ${s.version}_${s.name}${s.appliedAt ? `  (${s.appliedAt.toISOString()})` : ''}`,
        );
      }
    }
    return 0;
  } catch (e) {
    console.error(e instanceof MigrationError ? e.message : `${command} failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then((code) => process.exit(code));
