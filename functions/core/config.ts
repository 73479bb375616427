import { createSecretKey, type KeyObject } from 'node:crypto';
import { cached, EnvSecretSource, SecretsManagerSource, type SecretSource } from './secrets';

/**
 * The runtime configuration of a Lambda container, read from its environment.
 * In AWS the environment holds ARNs; values come from Secrets Manager. Locally (`npm start`,
 * tests) `DATABASE_URL` and `JWT_SECRET` are set directly.
 */
export const env = {
  /**
   * Where the app's pages are (email links: `/verify-email?token=…`, `/reset-password?token=…`).
   * Read when used: `npm start` sets it once it knows the port it bound.
   */
  get appBaseUrl(): string {
    return process.env.APP_BASE_URL ?? 'http://localhost:3000';
  },
  mailFrom: process.env.MAIL_FROM ?? 'Eatsential <no-reply@eatsential.local>',
};

/** Secrets are re-read after five minutes, so rotations reach warm containers. */
export const secrets: SecretSource = cached(
  process.env.JWT_SECRET_ARN || process.env.DB_SECRET_ARN
    ? new SecretsManagerSource()
    : new EnvSecretSource({ jwt: 'JWT_SECRET' }),
  5 * 60 * 1000,
);

let signingKey: Promise<KeyObject> | undefined;

/** HMAC key that signs access tokens, imported once per container. */
export function jwtKey(): Promise<KeyObject> {
  signingKey ??= secrets.get(process.env.JWT_SECRET_ARN ?? 'jwt').then((value) => {
    if (value.length < 32) throw new Error('the JWT signing key is shorter than 32 characters');
    return createSecretKey(Buffer.from(value, 'utf8'));
  });
  signingKey.catch(() => (signingKey = undefined));
  return signingKey;
}
