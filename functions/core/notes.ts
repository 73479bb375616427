import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { secrets } from './config';

/**
 * The note keyring: free text about a person's health (allergy reactions, condition notes, mood
 * notes...) is encrypted here, by the application, and only the ciphertext reaches the database.
 *
 * AES-256-GCM with a random 96-bit nonce. The stored value is `format (1 byte) | nonce (12) |
 * tag (16) | ciphertext`, and the key version travels beside it in `<column>_key_version`, so a
 * rotation re-encrypts in batches while old versions still decrypt. The additional authenticated
 * data names the table, the column and the owner: a ciphertext copied into another row or
 * another person's row no longer decrypts.
 */

/** The secret's shape (lib/secrets.ts, functions/local/devSecrets.ts): `{"current":"1","key_1":"<64 hex>"}`. */
export interface Keyring {
  readonly current: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

/** Where a note lives: bound into the ciphertext. */
export interface NoteContext {
  readonly table: string;
  readonly column: string;
  readonly userId: string;
}

export interface SealedNote {
  readonly ciphertext: Buffer;
  readonly keyVersion: number;
}

const format = 1;
const nonceBytes = 12;
const tagBytes = 16;

export function parseKeyring(json: string): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('the note keyring is not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new Error('the note keyring is not an object');
  const keys = new Map<number, Buffer>();
  let current: number | undefined;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === 'current') {
      current = Number(value);
      continue;
    }
    const m = /^key_([1-9][0-9]{0,4})$/.exec(name);
    if (!m || typeof value !== 'string' || !/^[0-9a-f]{64}$/i.test(value))
      throw new Error(`the note keyring entry ${name} is not key_<version> with 64 hexadecimal digits`);
    keys.set(Number(m[1]), Buffer.from(value, 'hex'));
  }
  if (current === undefined || !keys.has(current))
    throw new Error('the note keyring names no current key it holds');
  return { current, keys };
}

const aad = (c: NoteContext) => Buffer.from(`${c.table}.${c.column}:${c.userId}`, 'utf8');

export function seal(keyring: Keyring, plaintext: string, context: NoteContext): SealedNote {
  const key = keyring.keys.get(keyring.current) as Buffer;
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(aad(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    ciphertext: Buffer.concat([Buffer.of(format), nonce, cipher.getAuthTag(), body]),
    keyVersion: keyring.current,
  };
}

export function open(keyring: Keyring, sealed: SealedNote, context: NoteContext): string {
  const key = keyring.keys.get(sealed.keyVersion);
  if (!key) throw new Error(`note key version ${sealed.keyVersion} is not in the keyring`);
  const c = sealed.ciphertext;
  if (c.length < 1 + nonceBytes + tagBytes || c[0] !== format) throw new Error('not a sealed note');
  const decipher = createDecipheriv('aes-256-gcm', key, c.subarray(1, 1 + nonceBytes), {
    authTagLength: tagBytes,
  });
  decipher.setAAD(aad(context));
  decipher.setAuthTag(c.subarray(1 + nonceBytes, 1 + nonceBytes + tagBytes));
  return Buffer.concat([decipher.update(c.subarray(1 + nonceBytes + tagBytes)), decipher.final()]).toString(
    'utf8',
  );
}

let parsed: { raw: string; keyring: Keyring } | undefined;

/**
 * The container's keyring: Secrets Manager (`NOTE_KEYRING_SECRET_ARN`, re-read after five minutes
 * like every secret) or, locally and in tests, `NOTE_KEYRING`.
 */
export async function noteKeyring(): Promise<Keyring> {
  const arn = process.env.NOTE_KEYRING_SECRET_ARN;
  const raw = arn ? await secrets.get(arn) : process.env.NOTE_KEYRING;
  if (!raw) throw new Error('neither NOTE_KEYRING_SECRET_ARN nor NOTE_KEYRING is set');
  if (parsed?.raw !== raw) parsed = { raw, keyring: parseKeyring(raw) };
  return parsed.keyring;
}

/** A note column pair as stored: null when there is no note. */
export interface StoredNote {
  readonly encrypted: Buffer | null;
  readonly keyVersion: number | null;
}

/** Seals an optional note for storage; `null` clears it. */
export async function sealNote(text: string | null, context: NoteContext): Promise<StoredNote> {
  if (text === null) return { encrypted: null, keyVersion: null };
  const { ciphertext, keyVersion } = seal(await noteKeyring(), text, context);
  return { encrypted: ciphertext, keyVersion };
}

/** Opens a stored note for its owner. */
export async function openNote(stored: StoredNote, context: NoteContext): Promise<string | null> {
  if (stored.encrypted === null || stored.keyVersion === null) return null;
  return open(await noteKeyring(), { ciphertext: stored.encrypted, keyVersion: stored.keyVersion }, context);
}
