import { database, transaction, type Sql } from '../../core/db';
import { mailer as containerMailer, type Mailer } from '../../core/mail';
import { noteKeyring, type Keyring } from '../../core/notes';
import { renderMail } from '../../identity/outbox';
import { reported } from '../report';

/** A message is given up ("dead") after this many failed sends. */
export const maxAttempts = 8;

/** Seconds before the next try after `attempts` failed ones: 1, 2, 4 ... minutes, at most an hour. */
export const backoffSeconds = (attempts: number) => Math.min(60 * 2 ** (attempts - 1), 3600);

/** Sent and dead rows (without their ciphertext) are kept this long, for troubleshooting. */
export const keepEndedDays = 7;

interface QueuedRow {
  id: string;
  user_id: string;
  kind: string;
  payload_encrypted: Buffer;
  payload_key_version: number;
  attempts: number;
}

type Outcome = 'sent' | 'retry' | 'dead' | 'none';

/** The name of an error, never its message: SES messages may name the address. */
const errorName = (e: unknown) => (e instanceof Error ? e.name : typeof e).slice(0, 100);

export interface DrainOptions {
  readonly sql: Sql;
  readonly mailer?: Mailer;
  readonly keyring?: Keyring;
  /** At most this many messages per run. */
  readonly limit?: number;
  /** Stop taking new messages after this many milliseconds (the Lambda's timeout is 50 s). */
  readonly budgetMs?: number;
}

const asJob = <T>(sql: Sql, fn: Parameters<typeof transaction<T>>[2]) =>
  transaction(sql, { role: 'eatsential_job_mail_outbox' }, fn);

/**
 * Sends the due emails of `auth.mail_outbox`, one transaction per message: the row is locked
 * (FOR UPDATE SKIP LOCKED) while it is sent and marked, so two drains running at once never send
 * one message twice, and a drain never waits for another. A failed send is retried with backoff,
 * and given up after `maxAttempts`; a payload that does not open is given up at once. Once a
 * message ends (sent or dead) its ciphertext is dropped. Runs until nothing is due, `limit`
 * messages were handled or the time budget is spent.
 */
export async function sendDue({
  sql,
  mailer = containerMailer(),
  keyring,
  limit = 500,
  budgetMs = 40_000,
}: DrainOptions): Promise<{ sent: number; retried: number; dead: number }> {
  const ring = keyring ?? (await noteKeyring());
  const started = performance.now();
  const counts = { sent: 0, retried: 0, dead: 0 };
  for (let handled = 0; handled < limit && performance.now() - started < budgetMs; handled += 1) {
    const outcome = await asJob(sql, async (tx): Promise<Outcome> => {
      const [row] = await tx<QueuedRow[]>`
          select id, user_id, kind, payload_encrypted, payload_key_version, attempts
          from auth.mail_outbox
          where state = 'pending' and next_attempt_at <= now()
          order by next_attempt_at, id
          limit 1
          for update skip locked`;
      if (!row) return 'none';
      const attempts = row.attempts + 1;
      const end = (state: 'sent' | 'dead', error: string | null) => tx`
          update auth.mail_outbox set state = ${state}, attempts = ${attempts}, last_error = ${error},
            sent_at = ${state === 'sent' ? tx`now()` : null}, payload_encrypted = null, payload_key_version = null
          where id = ${row.id}`;
      let message;
      try {
        message = renderMail(ring, row);
      } catch (e) {
        await end('dead', errorName(e));
        return 'dead';
      }
      try {
        await mailer.send(message);
      } catch (e) {
        if (attempts >= maxAttempts) {
          await end('dead', errorName(e));
          return 'dead';
        }
        await tx`
            update auth.mail_outbox set attempts = ${attempts}, last_error = ${errorName(e)},
              next_attempt_at = now() + make_interval(secs => ${backoffSeconds(attempts)})
            where id = ${row.id}`;
        return 'retry';
      }
      await end('sent', null);
      return 'sent';
    });
    if (outcome === 'none') break;
    if (outcome === 'retry') counts.retried += 1;
    else counts[outcome] += 1;
  }
  return counts;
}

/** The scheduled job: sends what is due, then removes ended rows older than `keepEndedDays`. */
export function run(options: DrainOptions) {
  return reported('mail-outbox', async () => {
    const { sql } = options;
    const counts = await sendDue(options);
    const removed = await asJob(
      sql,
      (tx) => tx`
        delete from auth.mail_outbox
        where state <> 'pending' and created_at < now() - make_interval(days => ${keepEndedDays})`,
    );
    const [left] = await asJob(
      sql,
      (tx) => tx<{ pending: number; oldest: number | null }[]>`
        select count(*)::int as pending,
               extract(epoch from now() - min(created_at))::float8 as oldest
        from auth.mail_outbox where state = 'pending'`,
    );
    return {
      ...counts,
      removed: removed.count,
      pending: left?.pending ?? 0,
      oldestPendingSeconds: Math.round(left?.oldest ?? 0),
    };
  });
}

export const handler = async () => run({ sql: await database() });
