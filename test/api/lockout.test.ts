import { hashPassword } from '../../functions/core/passwords';
import { createUser, useApi } from '../support';

const api = useApi();

describe('POST /me/password with a wrong current password', () => {
  it('counts toward the same lockout as login, so a stolen token buys no unlimited guesses', async () => {
    const user = await createUser(api.db);
    await api.db
      .sql`update public.users set password_hash = ${await hashPassword('the real password 123')} where id = ${user.id}`;
    const attempt = (current: string) =>
      api.request('POST', '/me/password', {
        token: user.token,
        body: { current_password: current, new_password: 'a brand new password 456' },
      });

    for (let i = 1; i <= 5; i++) {
      const r = await attempt(`wrong guess ${i}`);
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('invalid_current_password');
    }
    const [row] = await api.db
      .sql`select failed_login_count, locked_until > now() as locked from public.users where id = ${user.id}`;
    expect(row?.locked).toBe(true);

    const right = await attempt('the real password 123');
    expect(right.status).toBe(403);
    expect(right.body.code).toBe('account_locked');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
