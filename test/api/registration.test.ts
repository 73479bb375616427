import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useApi } from '../support';

const api = useApi();

/** The .eml files written to this address so far. */
const emailsTo = async (address: string) => {
  await api.deliverMail();
  return readdirSync(api.mailDir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => readFileSync(join(api.mailDir, f), 'utf8'))
    .filter((raw) => raw.includes(`\r\nTo: ${address}\r\n`));
};

describe('registering with an address that already has an account', () => {
  const password = 'quiet meadow after the rain 7';
  let n = 0;
  const register = (email: string) => {
    n += 1;
    return api.request('POST', '/auth/register', { body: { username: `flood_${n}`, email, password } });
  };

  it("emails the address's owner once an hour at most, and answers every attempt alike", async () => {
    const owner = 'owner.once@example.com';
    const created = await register(owner);
    expect(await emailsTo(owner)).toHaveLength(1); // the verification email

    const first = await register(owner);
    const second = await register(owner);

    expect(await emailsTo(owner)).toHaveLength(2);
    expect((await emailsTo(owner)).filter((raw) => raw.includes('Someone tried to register'))).toHaveLength(
      1,
    );
    for (const attempt of [first, second]) {
      expect({ status: attempt.status, body: attempt.body }).toEqual({
        status: created.status,
        body: created.body,
      });
    }
    const events = await api.db.sql`
      select a.detail from audit.audit_logs a join public.users u on u.id = a.user_id
      where u.email = ${owner} and a.event = 'registration_existing_email' order by a.occurred_at`;
    expect(events.map((e) => e.detail)).toEqual([{ emailed: true }, { emailed: false }]);
  });

  it('emails the owner again once the hour is over', async () => {
    const owner = 'owner.hourly@example.com';
    await register(owner);
    await register(owner);
    expect(await emailsTo(owner)).toHaveLength(2);

    await api.db.sql`
      update auth.registration_attempt_emails set sent_at = now() - interval '61 minutes'
      where user_id = (select id from public.users where email = ${owner})`;
    await register(owner);

    expect(await emailsTo(owner)).toHaveLength(3);
  });
});
