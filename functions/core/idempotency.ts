import { createHmac, hkdfSync, type KeyObject } from 'node:crypto';
import { jwtKey } from './config';
import type { Sql, Tx } from './db';
import { transaction } from './db';
import { BadRequestError, ConflictError, UnprocessableError } from './errors';
import { openNote, sealNote, type NoteContext } from './notes';

/** A stored first answer. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Where the keys live for this request: inside the caller's transaction, or short service transactions. */
export type KeyStore = { readonly tx: Tx } | { readonly sql: Sql };

const keyFormat = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!keyFormat.test(header)) {
    throw new BadRequestError('Idempotency-Key must be 1 to 255 visible ASCII characters', {
      code: 'invalid_idempotency_key',
    });
  }
  return header;
}

let hashKey: Promise<Buffer> | undefined;

/** A key of its own for request fingerprints, derived from the service's signing secret. */
function requestHashKey(): Promise<Buffer> {
  hashKey ??= jwtKey().then((k: KeyObject) =>
    Buffer.from(hkdfSync('sha256', k.export(), Buffer.alloc(0), 'eatsential idempotency request', 32)),
  );
  return hashKey;
}

/**
 * Fingerprint of a request body, to tell a retry from a different request under the same key.
 * Keyed (HMAC): bodies such as a registration hold a password, and a plain hash stored in the
 * database would let anyone holding a backup test password guesses at full speed.
 */
export async function requestHash(body: unknown): Promise<Buffer> {
  return createHmac('sha256', await requestHashKey())
    .update(JSON.stringify(body ?? null))
    .digest();
}

/**
 * A signed-in person's answers can hold their health notes in clear: those are kept sealed with the
 * note keyring, bound to the person, like the notes themselves. Public answers hold nothing private.
 */
const answerContext = (userId: string): NoteContext => ({
  table: 'public.idempotency_keys',
  column: 'response_body',
  userId,
});

async function storable(userId: string | null, body: unknown): Promise<unknown> {
  if (userId === null || body === undefined || body === null) return body ?? null;
  const sealed = await sealNote(JSON.stringify(body), answerContext(userId));
  return { sealed: sealed.encrypted?.toString('base64'), key_version: sealed.keyVersion };
}

async function answered(userId: string | null, stored: unknown): Promise<unknown> {
  if (userId === null || stored === null || typeof stored !== 'object' || !('sealed' in stored))
    return stored;
  const { sealed, key_version } = stored as { sealed: string; key_version: number };
  const text = await openNote(
    { encrypted: Buffer.from(sealed, 'base64'), keyVersion: key_version },
    answerContext(userId),
  );
  return text === null ? null : (JSON.parse(text) as unknown);
}

/** A claim whose request never completed (a crashed or timed-out run) is abandoned after this. */
const abandonedAfter = '1 minute';

function run<T>(store: KeyStore, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return 'tx' in store ? fn(store.tx) : transaction(store.sql, { role: 'eatsential_auth' }, fn);
}

/**
 * Claims the key for this request, or answers the first request's response. Inside a caller's
 * transaction a concurrent duplicate waits on the unique index and then sees the committed answer.
 */
export async function claim(
  store: KeyStore,
  scope: { readonly userId: string | null; readonly route: string },
  key: string,
  hash: Buffer,
): Promise<StoredResponse | null> {
  return run(store, async (tx) => {
    await tx`delete from public.idempotency_keys
             where user_id is not distinct from ${scope.userId} and route = ${scope.route} and key = ${key}
               and (expires_at < now() or (status_code is null and created_at < now() - ${abandonedAfter}::interval))`;
    const inserted = await tx`
      insert into public.idempotency_keys (user_id, route, key, request_hash)
      values (${scope.userId}, ${scope.route}, ${key}, ${hash})
      on conflict on constraint idempotency_keys_scope_key do nothing
      returning id`;
    if (inserted.length) return null;
    const [first] = await tx<{ request_hash: Buffer; status_code: number | null; response_body: unknown }[]>`
      select request_hash, status_code, response_body from public.idempotency_keys
      where user_id is not distinct from ${scope.userId} and route = ${scope.route} and key = ${key}`;
    if (!first) return null;
    if (!hash.equals(first.request_hash)) {
      throw new UnprocessableError('This Idempotency-Key was used with a different request body', {
        code: 'idempotency_key_reused',
      });
    }
    if (first.status_code === null) {
      throw new ConflictError('A request with this Idempotency-Key is still in progress', {
        code: 'idempotency_request_in_progress',
        headers: { 'retry-after': '1' },
      });
    }
    return { status: first.status_code, body: await answered(scope.userId, first.response_body) };
  });
}

export function complete(
  store: KeyStore,
  scope: { readonly userId: string | null; readonly route: string },
  key: string,
  response: StoredResponse,
): Promise<void> {
  return run(store, async (tx) => {
    const body = await storable(scope.userId, response.body);
    await tx`update public.idempotency_keys
             set status_code = ${response.status}, response_body = ${tx.json(body as never)}
             where user_id is not distinct from ${scope.userId} and route = ${scope.route} and key = ${key}`;
  });
}

/** Frees a claim whose request failed, so that a retry runs again. */
export function release(
  store: KeyStore,
  scope: { readonly userId: string | null; readonly route: string },
  key: string,
): Promise<void> {
  return run(store, async (tx) => {
    await tx`delete from public.idempotency_keys
             where user_id is not distinct from ${scope.userId} and route = ${scope.route} and key = ${key} and status_code is null`;
  });
}
