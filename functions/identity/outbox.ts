import type { Tx } from '../core/db';
import type { MailMessage } from '../core/mail';
import { noteKeyring, open, seal, type Keyring, type NoteContext } from '../core/notes';
import {
  passwordChangedEmail,
  passwordResetEmail,
  registrationAttemptEmail,
  verificationEmail,
} from './emails';

/**
 * The identity emails go through `auth.mail_outbox`: a request writes the message in its own
 * transaction (sent only if it commits) and the `mail-outbox` job sends it. Recipient and token
 * are sealed with the note keyring, bound to this table, column and user: the database never holds
 * them in clear, and a ciphertext copied to another row does not open.
 */
export type MailKind = 'email_verify' | 'password_reset' | 'password_changed' | 'registration_attempt';

interface Payload {
  readonly to: string;
  readonly token?: string;
}

/** Stands in for the user of a message that is not written (an unknown address), so the work is the same. */
const nobody = '00000000-0000-0000-0000-000000000000';

export const outboxContext = (userId: string): NoteContext => ({
  table: 'auth.mail_outbox',
  column: 'payload_encrypted',
  userId,
});

/**
 * Queues one email. With `userId` null (an unknown address, a throttled account) the same payload
 * is sealed and the same statement runs, inserting nothing: both answers do the same work.
 */
export async function enqueueMail(
  tx: Tx,
  message: {
    readonly userId: string | null;
    readonly kind: MailKind;
    readonly to: string;
    readonly token?: string;
  },
): Promise<void> {
  const payload: Payload =
    message.token === undefined ? { to: message.to } : { to: message.to, token: message.token };
  const sealed = seal(await noteKeyring(), JSON.stringify(payload), outboxContext(message.userId ?? nobody));
  await tx`
    insert into auth.mail_outbox (user_id, kind, payload_encrypted, payload_key_version)
    select ${message.userId}::uuid, ${message.kind}, ${sealed.ciphertext}, ${sealed.keyVersion}
    where ${message.userId}::uuid is not null`;
}

/** The email a queued row stands for; throws when the payload does not open or lacks its token. */
export function renderMail(
  keyring: Keyring,
  row: {
    readonly user_id: string;
    readonly kind: string;
    readonly payload_encrypted: Buffer;
    readonly payload_key_version: number;
  },
): MailMessage {
  const payload = JSON.parse(
    open(
      keyring,
      { ciphertext: row.payload_encrypted, keyVersion: row.payload_key_version },
      outboxContext(row.user_id),
    ),
  ) as Payload;
  const token = () => {
    if (typeof payload.token !== 'string') throw new Error(`a ${row.kind} email without its token`);
    return payload.token;
  };
  switch (row.kind as MailKind) {
    case 'email_verify':
      return verificationEmail(payload.to, token());
    case 'password_reset':
      return passwordResetEmail(payload.to, token());
    case 'password_changed':
      return passwordChangedEmail(payload.to);
    case 'registration_attempt':
      return registrationAttemptEmail(payload.to);
    default:
      throw new Error(`no email of kind ${row.kind}`);
  }
}
