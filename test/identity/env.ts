import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Read by functions/core/config.ts and the mailer when they load: set before anything imports them.
process.env.JWT_SECRET = 'identity-tests-signing-key-0123456789abcdefghijk';
process.env.MAIL_DIR = mkdtempSync(join(tmpdir(), 'eatsential-identity-mail-'));
delete process.env.MAIL_TRANSPORT;
delete process.env.AWS_LAMBDA_FUNCTION_NAME;
