import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque tokens (refresh, email verification, password reset): 32 random bytes, base64url. The
 * database keeps only their SHA-256, so a leaked table cannot be replayed. A plain hash suffices
 * (no salt, no slow KDF): the tokens carry 256 bits of entropy, nothing to guess.
 */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A fresh token and the hash to store for it. */
export function issueToken(): { readonly token: string; readonly hash: Buffer } {
  const token = newToken();
  return { token, hash: tokenHash(token) };
}

/** How long each kind of token lives. */
export const tokenLifetime = {
  emailVerify: '24 hours',
  passwordReset: '1 hour',
  /** A session ends after 30 days without a refresh, and 90 days after login in any case. */
  sessionIdle: '30 days',
  sessionAbsolute: '90 days',
} as const;
