/**
 * A standalone embedded PostgreSQL for test processes: `tsx pgliteServer.ts <template.tar>`
 * prints `READY <url>` and serves until its stdin closes (the parent exited) or SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { startEmbeddedPostgres } from './embeddedPostgres';

async function main() {
  const template = process.argv[2];
  const from = template ? new Blob([await readFile(template)]) : undefined;
  const pg = await startEmbeddedPostgres({ from });
  const stop = () => void pg.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`READY ${pg.url}\n`);
}

main().catch((e) => {
  console.error(`embedded postgres failed to start: ${(e as Error).message}`);
  process.exit(1);
});
