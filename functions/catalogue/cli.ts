/**
 * `npm run catalogue:import -- <file.jsonl> [--skip-invalid]`: imports a catalogue file into the
 * database at DATABASE_URL as eatsential_admin, in one transaction. Every bad line is reported with
 * its number and reason; with any, nothing is imported unless --skip-invalid. Exit code 1 when the
 * file was not imported, 2 on usage errors.
 */
import { readFileSync } from 'node:fs';
import { createSql, transaction } from '../core/db';
import { importCatalogue } from './import';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const skipInvalid = args.includes('--skip-invalid');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--skip-invalid');
  const files = args.filter((a) => !a.startsWith('--'));
  const url = process.env.DATABASE_URL;
  if (unknown.length > 0 || files.length !== 1 || !url) {
    console.error(
      'usage: DATABASE_URL=postgres://... npm run catalogue:import -- <file.jsonl> [--skip-invalid]',
    );
    return 2;
  }
  const text = readFileSync(files[0] as string, 'utf8');
  const sql = createSql({ url }, { max: 1, applicationName: 'eatsential-catalogue-import' });
  try {
    const report = await transaction(sql, { role: 'eatsential_admin' }, (tx) =>
      importCatalogue(tx, text, { skipInvalid }),
    );
    for (const bad of report.invalid)
      for (const e of bad.errors)
        console.error(`line ${bad.line}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
    if (!report.imported) {
      console.error(
        `${report.invalid.length} bad line(s) of ${report.lines}: nothing imported (--skip-invalid imports the others)`,
      );
      return 1;
    }
    console.log(`${report.lines} line(s) read, ${report.invalid.length} skipped`);
    for (const [what, c] of Object.entries(report.changes))
      console.log(`${what}: ${c.inserted} inserted, ${c.updated} updated, ${c.deleted} removed`);
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
