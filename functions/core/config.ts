import { createSql, type Sql } from './db';
import { cached, EnvSecretSource, SecretsManagerSource, type SecretSource } from './secrets';

/**
 * The runtime configuration of a Lambda container, read from its environment once.
 * In AWS the environment holds ARNs; values come from Secrets Manager. Locally (`npm start`,
 * tests) `DATABASE_URL` and `JWT_SECRET` are set directly.
 */
export const env = {
  stage: process.env.STAGE ?? 'local',
  appBaseUrl: process.env.APP_BASE_URL ?? 'http://localhost:3000',
  mailFrom: process.env.MAIL_FROM ?? 'Eatsential <no-reply@eatsential.local>',
};

const secrets: SecretSource = cached(
  process.env.JWT_SECRET_ARN || process.env.DB_SECRET_ARN
    ? new SecretsManagerSource()
    : new EnvSecretSource({ jwt: 'JWT_SECRET' }),
);

/** HMAC key that signs access tokens. */
export async function jwtKey(): Promise<Uint8Array> {
  const value = await secrets.get(process.env.JWT_SECRET_ARN ?? 'jwt');
  if (value.length < 32) throw new Error('the JWT signing key is shorter than 32 characters');
  return new TextEncoder().encode(value);
}

let sql: Promise<Sql> | undefined;

/** The container's one database client, created on first use and kept for the container's life. */
export function database(): Promise<Sql> {
  sql ??= connect().catch((e: unknown) => {
    sql = undefined;
    throw e;
  });
  return sql;
}

async function connect(): Promise<Sql> {
  const url = process.env.DATABASE_URL;
  if (url) return createSql({ url }, { max: Number(process.env.DB_POOL_MAX ?? 1) });
  const { DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN } = process.env;
  if (!DB_HOST || !DB_SECRET_ARN)
    throw new Error('neither DATABASE_URL nor DB_HOST and DB_SECRET_ARN are set');
  const credentials = JSON.parse(await secrets.get(DB_SECRET_ARN)) as { username: string; password: string };
  return createSql({
    host: DB_HOST,
    port: Number(DB_PORT ?? 5432),
    database: DB_NAME ?? 'eatsential',
    username: credentials.username,
    password: credentials.password,
  });
}

/** For tests and the local server: forget the client so the next `database()` reconnects. */
export async function resetDatabase(): Promise<void> {
  const current = sql;
  sql = undefined;
  if (current) await (await current).end({ timeout: 5 });
}
