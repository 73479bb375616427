import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../../functions/core/log';
import { useApi } from '../support';

const api = useApi();

/** The newest email's raw text and the code it carries (the line after "Or enter this code"). */
async function lastEmail(): Promise<{ raw: string; code: string }> {
  await api.deliverMail();
  const files = readdirSync(api.mailDir)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  const raw = readFileSync(join(api.mailDir, files[files.length - 1] as string), 'utf8');
  const lines = raw.split(/\r?\n/);
  const at = lines.findIndex((l) => l.startsWith('Or enter this code'));
  return { raw, code: (lines[at + 1] ?? '').trim() };
}

describe('an account from registration to logout, over HTTP', () => {
  const password = 'plum orchard under moonlight 42';
  const account = { username: 'journey_user', email: 'Journey.User@Example.com', password };
  const logged: string[] = [];
  const secrets: string[] = [password, 'journey.user@example.com', 'Journey.User@Example.com'];

  beforeAll(() => {
    logger.setLogLevel('DEBUG');
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
  });

  afterAll(() => {
    jest.restoreAllMocks();
    logger.setLogLevel('SILENT');
  });

  let refresh1 = '';
  let refresh2 = '';
  let access2 = '';

  it('registers once, however often the client retries with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'register-journey-1' };
    const first = await api.request('POST', '/auth/register', { body: account, headers });
    expect(first.status).toBe(202);
    const retry = await api.request('POST', '/auth/register', { body: account, headers });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const other = await api.request('POST', '/auth/register', {
      body: { ...account, username: 'someone_else' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');

    const users = await api.db
      .sql`select id from public.users where username in ('journey_user', 'someone_else')`;
    expect(users).toHaveLength(1);
    await api.deliverMail();
    expect(readdirSync(api.mailDir).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('refuses to log in before the email is verified, then verifies it with the emailed code', async () => {
    const early = await api.request('POST', '/auth/login', { body: { email: account.email, password } });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('email_not_verified');

    const { raw, code } = await lastEmail();
    expect(code.length).toBeGreaterThanOrEqual(20);
    secrets.push(
      code,
      raw
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join('\n')
        .trim()
        .split('\n')[0] as string,
    );
    expect((await api.request('POST', '/auth/verify-email', { body: { token: code } })).status).toBe(204);
    expect((await api.request('POST', '/auth/verify-email', { body: { token: code } })).status).toBe(400);
  });

  it('logs in, reads /me, refreshes, logs out, and then refuses the old refresh tokens', async () => {
    const login = await api.request('POST', '/auth/login', {
      body: { email: account.email, password, device_name: 'Test phone' },
      headers: { 'user-agent': 'EatsentialTest/1.0' },
    });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('Bearer');
    refresh1 = login.body.refresh_token;
    secrets.push(login.body.access_token, refresh1);

    const me = await api.request('GET', '/me', { token: login.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      username: 'journey_user',
      email: 'journey.user@example.com',
      is_email_verified: true,
    });
    expect(me.body).not.toHaveProperty('password_hash');

    const refreshed = await api.request('POST', '/auth/refresh', { body: { refresh_token: refresh1 } });
    expect(refreshed.status).toBe(200);
    refresh2 = refreshed.body.refresh_token;
    access2 = refreshed.body.access_token;
    expect(refresh2).not.toBe(refresh1);
    secrets.push(refresh2, access2);

    expect((await api.request('POST', '/auth/logout', { token: access2 })).status).toBe(204);
    const afterLogout = await api.request('POST', '/auth/refresh', { body: { refresh_token: refresh2 } });
    expect(afterLogout.status).toBe(401);
    expect((await api.request('GET', '/me', { token: access2 })).status).toBe(401);
  });

  it('treats a rotated refresh token presented again as theft and ends that session', async () => {
    const login = await api.request('POST', '/auth/login', { body: { email: account.email, password } });
    const r1 = login.body.refresh_token;
    const rotated = await api.request('POST', '/auth/refresh', { body: { refresh_token: r1 } });
    expect(rotated.status).toBe(200);
    secrets.push(r1, rotated.body.refresh_token, rotated.body.access_token);

    const replay = await api.request('POST', '/auth/refresh', { body: { refresh_token: r1 } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('refresh_token_reused');
    expect(
      (await api.request('POST', '/auth/refresh', { body: { refresh_token: rotated.body.refresh_token } }))
        .status,
    ).toBe(401);
  });

  it('wrote log lines, and none of them holds a password, token, hash, email address or email body', async () => {
    const text = logged.join('');
    expect(text).toContain('"message":"request"');
    const [row] = await api.db.sql<
      { password_hash: string }[]
    >`select password_hash from public.users where username = 'journey_user'`;
    for (const secret of [
      ...secrets,
      row?.password_hash as string,
      '"refresh_token"',
      '"access_token"',
      'scrypt$',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
