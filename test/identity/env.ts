import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Read by functions/core/config.ts and the mailer when they load: set before anything imports them.
process.env.JWT_SECRET = 'identity-tests-signing-key-0123456789abcdefghijk';
process.env.MAIL_DIR = mkdtempSync(join(tmpdir(), 'eatsential-identity-mail-'));
// Queued emails are sealed with the note keyring (functions/identity/outbox.ts).
process.env.NOTE_KEYRING = JSON.stringify({ current: '1', key_1: '33'.repeat(32) });
delete process.env.NOTE_KEYRING_SECRET_ARN;
delete process.env.MAIL_TRANSPORT;
delete process.env.AWS_LAMBDA_FUNCTION_NAME;
