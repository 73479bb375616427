import { cached, EnvSecretSource, type SecretSource } from '../../functions/core/secrets';

/** A secret store whose value can be rotated, counting reads. */
function rotatingSource() {
  let value = 'first';
  let reads = 0;
  const source: SecretSource = {
    async get() {
      reads++;
      return value;
    },
  };
  return { source, rotate: (v: string) => (value = v), reads: () => reads };
}

describe('cached secrets', () => {
  it('reads a secret once per container while it is fresh', async () => {
    const store = rotatingSource();
    const secrets = cached(store.source);
    expect(await Promise.all([secrets.get('db'), secrets.get('db'), secrets.get('db')])).toEqual([
      'first',
      'first',
      'first',
    ]);
    expect(store.reads()).toBe(1);
  });

  it('reads a rotated secret again once the cached value is older than its maximum age', async () => {
    const store = rotatingSource();
    const secrets = cached(store.source, 20);
    expect(await secrets.get('db')).toBe('first');
    store.rotate('second');
    expect(await secrets.get('db')).toBe('first');
    await new Promise((r) => setTimeout(r, 30));
    expect(await secrets.get('db')).toBe('second');
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const secrets = cached({ get: async () => (fail ? Promise.reject(new Error('throttled')) : 'ok') });
    await expect(secrets.get('db')).rejects.toThrow('throttled');
    fail = false;
    expect(await secrets.get('db')).toBe('ok');
  });

  it('reads environment secrets when asked, and names the variable that is missing', async () => {
    const secrets = new EnvSecretSource({ jwt: 'EATSENTIAL_TEST_SECRET' });
    await expect(secrets.get('jwt')).rejects.toThrow('EATSENTIAL_TEST_SECRET');
    process.env.EATSENTIAL_TEST_SECRET = 'value';
    expect(await secrets.get('jwt')).toBe('value');
    delete process.env.EATSENTIAL_TEST_SECRET;
  });
});
