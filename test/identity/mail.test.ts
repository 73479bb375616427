import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMailer, toRfc5322 } from '../../functions/core/mail';

/** Splits an RFC 5322 message into its headers (unfolded) and its body. */
function parseEml(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, end)
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.slice(end + 4) };
}

describe('FileMailer', () => {
  it('writes each email as a parseable .eml file and logs only its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-mail-'));
    const logged: string[] = [];
    const mailer = new FileMailer(dir, 'Eatsential <no-reply@eatsential.test>', (path) => logged.push(path));

    await mailer.send({
      to: 'ana@example.com',
      subject: 'Verify your email',
      text: 'Open this link:\nhttps://x/verify?token=SECRET\n',
    });
    await mailer.send({ to: 'ana@example.com', subject: 'Second', text: 'again' });

    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    expect(logged.map((p) => p.slice(dir.length + 1)).sort()).toEqual(files.sort());
    expect(logged.join(' ')).not.toMatch(/SECRET|ana@example\.com/);

    const first = logged[0] as string;
    const { headers, body } = parseEml(readFileSync(first, 'utf8'));
    expect(headers).toMatchObject({
      from: 'Eatsential <no-reply@eatsential.test>',
      to: 'ana@example.com',
      subject: 'Verify your email',
      'mime-version': '1.0',
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(Number.isNaN(Date.parse(headers.date as string))).toBe(false);
    expect(headers['message-id']).toMatch(/^<[0-9a-f]+@eatsential\.test>$/);
    expect(body).toBe('Open this link:\r\nhttps://x/verify?token=SECRET\r\n');
  });
});

describe('RFC 5322 messages', () => {
  it('encodes a non-ASCII subject as an RFC 2047 encoded-word', () => {
    const raw = toRfc5322({ to: 'a@b.co', subject: 'Grüße', text: 'x' }, 'n@eatsential.test');

    expect(raw).toContain(`Subject: =?UTF-8?B?${Buffer.from('Grüße').toString('base64')}?=\r\n`);
  });

  it('keeps line breaks out of headers', () => {
    const raw = toRfc5322(
      { to: 'a@b.co', subject: 'Hi\r\nBcc: evil@example.com', text: 'x' },
      'n@eatsential.test',
    );

    expect(raw).not.toMatch(/^Bcc:/m);
    expect(() => toRfc5322({ to: 'a@b.co\r\nBcc: e@x.co', subject: 's', text: 'x' }, 'n@e.test')).toThrow();
  });
});
