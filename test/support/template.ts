import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMigrationsDir } from '../../sql/migrator';

/** Fingerprint of the migrations: a template is rebuilt whenever any migration file changes. */
export function migrationsFingerprint(dir = defaultMigrationsDir): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 12);
}

export const repoRoot = join(__dirname, '..', '..');
export const templateEnv = 'EATSENTIAL_TEST_TEMPLATE';
