import { createHash } from 'node:crypto';
import { issueToken, newToken, tokenHash } from '../../functions/identity/tokens';

describe('opaque tokens', () => {
  it('are 32 random bytes in base64url', () => {
    const token = newToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, newToken));

    expect(seen.size).toBe(1000);
  });

  it('are stored as their SHA-256', () => {
    const { token, hash } = issueToken();

    expect(hash).toEqual(createHash('sha256').update(token).digest());
    expect(tokenHash(token)).toEqual(hash);
    expect(hash).toHaveLength(32);
  });
});
