import {
  currentParams,
  dummyVerify,
  hashPassword,
  needsRehash,
  passwordProblems,
  verifyPassword,
} from '../../functions/core/passwords';

describe('password hashing', () => {
  it('hashes with scrypt at the OWASP parameters in a self-describing string', async () => {
    const hash = await hashPassword('a long enough passphrase');

    expect(hash).toMatch(/^scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(currentParams).toEqual({ ln: 17, r: 8, p: 1 });
  });

  it('salts every hash: the same password hashes differently twice', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same passphrase here'),
      hashPassword('same passphrase here'),
    ]);

    expect(a).not.toEqual(b);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('tulip meadow sunrise');

    expect(await verifyPassword('tulip meadow sunrise', hash)).toBe(true);
    expect(await verifyPassword('tulip meadow sunrisE', hash)).toBe(false);
  });

  it('reads the parameters from the hash, so older hashes still verify and ask for a rehash', async () => {
    const old = await hashPassword('an older passphrase', { ln: 14, r: 8, p: 1 });

    expect(old.startsWith('scrypt$ln=14,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('an older passphrase', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('an older passphrase'))).toBe(false);
  });

  it.each([
    ['an empty string', ''],
    ['another algorithm', '$2b$12$abcdefghijklmnopqrstuuAbCdEfGhIjKlMnOpQrStUvWxYz01234'],
    [
      'absurd parameters',
      'scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    ['a truncated hash', 'scrypt$ln=17,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$'],
  ])('refuses, without throwing, a stored value that is %s', async (_what, stored) => {
    expect(await verifyPassword('whatever passphrase', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  it('spends about the time of a real verification on a dummy verify', async () => {
    const hash = await hashPassword('timing passphrase');
    await dummyVerify(); // the first call also makes the dummy hash

    const t0 = performance.now();
    await verifyPassword('timing passphrase', hash);
    const real = performance.now() - t0;
    const t1 = performance.now();
    expect(await dummyVerify()).toBe(false);
    const dummy = performance.now() - t1;

    expect(dummy).toBeGreaterThan(real / 3);
  });
});

describe('password policy', () => {
  const account = { username: 'maria_k', email: 'maria.kovacs@example.com' };

  it.each([
    'violet-harbor-lantern',
    'Tr0ub4dor&3xyz',
    'my cat eats tulips at noon',
    'ÄÖÜ unicode passphrase ✓',
  ])('accepts %s', (password) => {
    expect(passwordProblems(password, account)).toEqual([]);
  });

  it.each([
    ['shorter than 12 characters', 'short pass', 'must be at least 12 characters'],
    ['longer than 128 characters', 'x'.repeat(64) + 'y'.repeat(65), 'must be at most 128 characters'],
    ['one character repeated', 'aaaaaaaaaaaaaa', 'must not be one character repeated'],
    ['a short sequence repeated', 'abcabcabcabc', 'must not be a short sequence repeated'],
    ['a common password', 'qwertyuiop123', 'is one of the most common passwords'],
    ['a common password with digits appended', 'password123456', 'is one of the most common passwords'],
    ['a common password in leetspeak', 'P@ssw0rd!2024', 'is one of the most common passwords'],
    ['a common password repeated', 'dragondragondragon', 'is one of the most common passwords'],
    ['a common long password', 'correcthorsebatterystaple', 'is one of the most common passwords'],
    ['the username', 'I am Maria_K forever', 'must not contain your username'],
    ["the email's local part", 'xx-maria.kovacs-xx', 'must not contain your email address'],
  ])('refuses a password that is %s', (_what, password, problem) => {
    expect(passwordProblems(password, account)).toContain(problem);
  });

  it('ignores an email local part too short to matter', () => {
    expect(passwordProblems('a quiet evening walk', { email: 'a@example.com' })).toEqual([]);
  });
});
