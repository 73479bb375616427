import '../identity/env';
import { parseKeyring } from '../../functions/core/notes';
import type { Mailer, MailMessage } from '../../functions/core/mail';
import { backoffSeconds, maxAttempts, run, sendDue } from '../../functions/jobs/mailOutbox/handler';
import { arrangeUser, callPublic } from '../identity/support';
import { useTestDatabase } from '../support';

/** A mailer that records what it is given, and fails while `failing` is set. */
function recorder(options: { failing?: boolean; delayMs?: number } = {}) {
  const sent: MailMessage[] = [];
  const mailer: Mailer & { failing: boolean } = {
    failing: options.failing ?? false,
    async send(message) {
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (this.failing)
        throw Object.assign(new Error(`no route to ${message.to}`), { name: 'MessageRejected' });
      sent.push(message);
    },
  };
  return { sent, mailer };
}

describe('the mail-outbox job', () => {
  const db = useTestDatabase();
  beforeEach(() => db.sql`delete from auth.mail_outbox`);

  const outbox = (userId: string) => db.sql<
    {
      kind: string;
      state: string;
      attempts: number;
      sealed: boolean;
      due_in: number;
      last_error: string | null;
      sent: boolean;
    }[]
  >`
    select kind, state, attempts, payload_encrypted is not null as sealed,
           round(extract(epoch from next_attempt_at - now()))::int as due_in, last_error, sent_at is not null as sent
    from auth.mail_outbox where user_id = ${userId} order by created_at`;

  it('sends what a request queued once it committed, never in clear in the database, and only once', async () => {
    const user = await arrangeUser(db.sql);
    await callPublic(db, 'requestPasswordReset', { email: user.email });
    await callPublic(db, 'requestPasswordReset', { email: 'nobody.at.all@example.com' });

    const [raw] = await db.sql<{ payload: Buffer }[]>`
      select payload_encrypted as payload from auth.mail_outbox where user_id = ${user.id}`;
    expect(raw?.payload.toString('latin1')).not.toContain(user.email);
    expect(await outbox(user.id)).toMatchObject([{ kind: 'password_reset', state: 'pending', sealed: true }]);
    // The unknown address queued nothing: only the registered one is in the outbox.
    const [all] = await db.sql<{ n: number }[]>`select count(*)::int as n from auth.mail_outbox`;
    expect(all?.n).toBe(1);

    const { sent, mailer } = recorder();
    const report = await run({ sql: db.sql, mailer });
    expect(report).toMatchObject({ sent: 1, retried: 0, dead: 0, pending: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: user.email, subject: 'Reset your password' });
    const token = /^([A-Za-z0-9_-]{43})$/m.exec(sent[0]?.text ?? '')?.[1];
    expect(token).toBeDefined();
    // The emailed token works.
    await callPublic(db, 'confirmPasswordReset', { token, new_password: 'an entirely new sentence 9' });

    expect(await outbox(user.id)).toMatchObject([
      { kind: 'password_reset', state: 'sent', sealed: false, attempts: 1, sent: true },
      { kind: 'password_changed', state: 'pending', sealed: true },
    ]);
    await run({ sql: db.sql, mailer });
    // The confirmation ("password changed") is the only new email.
    expect(sent.map((m) => m.subject)).toEqual(['Reset your password', 'Your password was changed']);
  });

  it('retries with backoff, keeps only the name of the error, and gives up after the last attempt', async () => {
    const user = await arrangeUser(db.sql, { verified: false });
    await callPublic(db, 'resendVerification', { email: user.email });
    const { sent, mailer } = recorder({ failing: true });

    expect(await run({ sql: db.sql, mailer })).toMatchObject({ sent: 0, retried: 1, pending: 1 });
    const [first] = await outbox(user.id);
    expect(first).toMatchObject({
      state: 'pending',
      attempts: 1,
      sealed: true,
      last_error: 'MessageRejected',
    });
    expect(first?.due_in).toBe(backoffSeconds(1));
    // Not due yet: a second run sends nothing.
    expect(await run({ sql: db.sql, mailer })).toMatchObject({ retried: 0 });

    for (let attempt = 2; attempt <= maxAttempts; attempt += 1) {
      await db.sql`update auth.mail_outbox set next_attempt_at = now() where user_id = ${user.id}`;
      await run({ sql: db.sql, mailer });
    }
    expect(await outbox(user.id)).toMatchObject([{ state: 'dead', attempts: maxAttempts, sealed: false }]);
    expect(sent).toEqual([]);
    expect(backoffSeconds(2)).toBe(2 * backoffSeconds(1));
    expect(backoffSeconds(30)).toBe(3600);
  });

  it('sends a message once even when two drains run at once', async () => {
    const users = await Promise.all([1, 2, 3, 4].map(() => arrangeUser(db.sql)));
    for (const u of users) await callPublic(db, 'requestPasswordReset', { email: u.email });
    const { sent, mailer } = recorder({ delayMs: 20 });

    const [a, b] = await Promise.all([sendDue({ sql: db.sql, mailer }), sendDue({ sql: db.sql, mailer })]);
    expect(a.sent + b.sent).toBe(4);
    expect(sent.map((m) => m.to).sort()).toEqual(users.map((u) => u.email).sort());
  });

  it('gives up at once on a message it cannot open, and removes ended rows after a week', async () => {
    const user = await arrangeUser(db.sql);
    await callPublic(db, 'requestPasswordReset', { email: user.email });
    const other = parseKeyring(JSON.stringify({ current: '1', key_1: '44'.repeat(32) }));
    const { sent, mailer } = recorder();

    expect(await run({ sql: db.sql, mailer, keyring: other })).toMatchObject({ dead: 1, sent: 0 });
    expect(await outbox(user.id)).toMatchObject([{ state: 'dead', sealed: false }]);
    expect(sent).toEqual([]);

    await db.sql`update auth.mail_outbox set created_at = now() - interval '8 days' where user_id = ${user.id}`;
    expect(await run({ sql: db.sql, mailer })).toMatchObject({ removed: 1 });
    expect(await outbox(user.id)).toEqual([]);
  });

  it('sends the "someone tried to register" email through the outbox, once an hour at most', async () => {
    const user = await arrangeUser(db.sql);
    for (const n of [1, 2]) {
      await callPublic(db, 'register', {
        username: `again_${n}_${user.username.slice(2)}`,
        email: user.email,
        password: 'a long enough passphrase here',
      });
    }
    const { sent, mailer } = recorder();
    await run({ sql: db.sql, mailer });
    expect(sent.map((m) => [m.to, m.subject])).toEqual([
      [user.email, 'Someone tried to register with your email address'],
    ]);
  });
});
