import { join } from 'node:path';
import { createSql, type Sql } from '../core/db';
import { logger } from '../core/log';
import { scramSha256Verifier } from '../core/scram';
import { cached, SecretsManagerSource } from '../core/secrets';
import { migrate } from '../../sql/migrator';

interface Credentials {
  readonly username: string;
  readonly password: string;
}

const loginRoles = /^eatsential_(api|jobs)$/;

/** Sets each application login role's password from its secret, as a SCRAM verifier. */
export async function setLoginPasswords(sql: Sql, logins: readonly Credentials[]): Promise<string[]> {
  const done: string[] = [];
  for (const { username, password } of logins) {
    if (!loginRoles.test(username)) throw new Error(`refusing to set a password for role ${username}`);
    const verifier = scramSha256Verifier(password);
    // A verifier is not the password; it is still quoted, never interpolated raw.
    await sql.unsafe(`alter role ${username} with login password '${verifier.replace(/'/g, "''")}'`);
    done.push(username);
  }
  return done;
}

/**
 * Runs on every deploy (a CDK trigger) against the database instance, not the proxy: migration
 * advisory locks would pin proxy connections. Uses the owner's credentials.
 */
export async function handler(): Promise<{ applied: string[]; logins: string[] }> {
  const secrets = cached(new SecretsManagerSource());
  const read = async (arn: string | undefined) => {
    if (!arn) throw new Error('a database secret ARN is missing from the environment');
    return JSON.parse(await secrets.get(arn)) as Credentials;
  };
  const owner = await read(process.env.DB_SECRET_ARN);
  const sql = createSql(
    {
      host: process.env.DB_HOST ?? '',
      port: Number(process.env.DB_PORT ?? 5432),
      database: process.env.DB_NAME ?? 'eatsential',
      username: owner.username,
      password: owner.password,
    },
    { applicationName: 'eatsential-migrate' },
  );
  try {
    const applied = await migrate(sql, {
      dir: process.env.MIGRATIONS_DIR ?? join(__dirname, 'migrations'),
      log: (line) => logger.info(line),
    });
    const logins = await setLoginPasswords(sql, [
      await read(process.env.API_DB_SECRET_ARN),
      await read(process.env.JOBS_DB_SECRET_ARN),
    ]);
    logger.info('migrations done', { applied: applied.length, logins });
    return { applied, logins };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
