import { join } from 'node:path';
import * as z from 'zod';
import { createSql, type Sql } from '../core/db';
import { logger } from '../core/log';
import { scramSha256Verifier } from '../core/scram';
import { cached, SecretsManagerSource } from '../core/secrets';
import { migrate, rollback } from '../../sql/migrator';

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

/** What an operator may ask of the Lambda besides the deploy-time run (all other fields are ignored). */
const operatorRequest = z.object({
  rollback: z
    .strictObject({ to: z.string().regex(/^(0|\d{14})$/, 'a 14-digit migration version, or 0') })
    .optional(),
});

export interface MigrateResult {
  readonly applied: string[];
  readonly rolledBack: string[];
  readonly logins: string[];
}

/** One migrate request against an open connection: migrate to latest, or roll back as asked; then set login passwords. */
export async function runMigrateRequest(
  sql: Sql,
  event: unknown,
  logins: () => Promise<Credentials[]>,
  dir = process.env.MIGRATIONS_DIR ?? join(__dirname, 'migrations'),
): Promise<MigrateResult> {
  const parsed = operatorRequest.safeParse(event ?? {});
  if (!parsed.success) {
    throw new Error(`invalid migrate request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const to = parsed.data.rollback?.to;
  const options = { dir, log: (line: string) => logger.info(line) };
  const rolledBack = to === undefined ? [] : await rollback(sql, { ...options, to });
  const applied = to === undefined ? await migrate(sql, options) : [];
  const done = await setLoginPasswords(sql, await logins());
  logger.info('migrations done', { applied: applied.length, rolled_back: rolledBack.length, logins: done });
  return { applied, rolledBack, logins: done };
}

/**
 * Runs on every deploy (a CDK trigger) against the database instance, not the proxy: migration
 * advisory locks would pin proxy connections. Uses the owner's credentials. An operator rolls back
 * by invoking it with `{"rollback": {"to": "<version>"}}` (the database is reachable only from the VPC).
 */
export async function handler(event: unknown = {}): Promise<MigrateResult> {
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
    return await runMigrateRequest(sql, event, async () => [
      await read(process.env.API_DB_SECRET_ARN),
      await read(process.env.JOBS_DB_SECRET_ARN),
    ]);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
