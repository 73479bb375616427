import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { env } from './config';
import { logger } from './log';

/** One plain-text email. Bodies carry tokens and addresses are personal data: neither is ever logged. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Email goes through this small interface: SES in AWS, `.eml` files locally. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** SES, its client loaded with the first email: most requests send none. */
export class SesMailer implements Mailer {
  private sdk?: Promise<typeof import('@aws-sdk/client-sesv2')>;
  constructor(
    private client?: SESv2Client,
    private readonly from = env.mailFrom,
  ) {}

  async send(message: MailMessage): Promise<void> {
    this.sdk ??= import('@aws-sdk/client-sesv2');
    const { SESv2Client, SendEmailCommand } = await this.sdk;
    this.client ??= new SESv2Client({});
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}

/**
 * Writes each email as an RFC 5322 message (`.eml`, opens in any mail client) and logs only the
 * file's path: what a developer needs to find the link, nothing that could leak from a log.
 */
export class FileMailer implements Mailer {
  constructor(
    readonly dir: string,
    private readonly from = env.mailFrom,
    private readonly log: (path: string) => void = (path) => logger.info('email written', { path }),
  ) {}

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(this.dir, `${stamp}-${randomBytes(6).toString('hex')}.eml`);
    await writeFile(path, toRfc5322(message, this.from), { encoding: 'utf8', mode: 0o600 });
    this.log(path);
  }
}

/** Header values: no line breaks (header injection), RFC 2047 encoded-words when not plain ASCII. */
function headerValue(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

function address(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('an email address cannot contain a line break');
  return value;
}

export function toRfc5322(message: MailMessage, from: string, date = new Date()): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  const headers = [
    `From: ${address(from)}`,
    `To: ${address(message.to)}`,
    `Subject: ${headerValue(message.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = message.text.replace(/\r?\n/g, '\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`;
}

let current: Mailer | undefined;

/** The container's mailer: SES in Lambda or when `MAIL_TRANSPORT=ses`, `.eml` files under `MAIL_DIR` otherwise. */
export function mailer(): Mailer {
  current ??=
    process.env.MAIL_TRANSPORT === 'ses' ||
    (process.env.AWS_LAMBDA_FUNCTION_NAME && process.env.MAIL_TRANSPORT !== 'file')
      ? new SesMailer()
      : new FileMailer(process.env.MAIL_DIR ?? join(process.cwd(), '.local', 'mail'));
  return current;
}
