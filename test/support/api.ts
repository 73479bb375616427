import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { useTestDatabase, type TestDatabase } from './db';

export const testJwtSecret = 'test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** Two key versions, the second current: notes written in tests use version 2, older ones still open. */
export const testNoteKeyring = {
  current: '2',
  key_1: '11'.repeat(32),
  key_2: '22'.repeat(32),
};

export interface TestApi {
  readonly db: TestDatabase;
  /** Base URL of the API on a random loopback port. */
  readonly url: string;
  /** Where the API writes emails for this test file. */
  readonly mailDir: string;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any route
}

/**
 * The API server of `npm start`, on this test file's private database and a random port, reached
 * over real HTTP. Every answer is checked against the route table's contract
 * (functions/core/contract.ts): a status or problem code the route does not declare fails the test.
 */
export function useApi(): TestApi {
  const db = useTestDatabase();
  const mailDir = mkdtempSync(join(tmpdir(), 'eatsential-mail-'));
  let server: Server | undefined;
  let url = '';
  let check: ((method: string, path: string, answer: Answer) => string | null) | undefined;

  beforeAll(async () => {
    process.env.DATABASE_URL = db.url;
    process.env.JWT_SECRET = testJwtSecret;
    process.env.NOTE_KEYRING = JSON.stringify(testNoteKeyring);
    process.env.MAIL_DIR = mailDir;
    process.env.DB_POOL_MAX = '2';
    const { createApiServer } = await import('../../functions/local/server');
    server = createApiServer();
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
    const [{ routes }, contract] = await Promise.all([
      import('../../functions/routes'),
      import('../../functions/core/contract'),
    ]);
    const find = contract.routeFinder(routes);
    check = (method, path, answer) =>
      // The raw path: URL parsing would resolve dot segments the server refuses.
      contract.contractViolation(find(method, path.split(/[?#]/, 1)[0] ?? path), answer);
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
    const { resetDatabase } = await import('../../functions/core/db');
    await resetDatabase();
  });

  return {
    db,
    get url() {
      return url;
    },
    mailDir,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      const violation = check?.(method, path, {
        status: res.status,
        contentType: res.headers.get('content-type'),
        code: (parsed as { code?: unknown } | undefined)?.code,
      });
      if (violation) throw new ContractError(`${method} ${path}: ${violation}`);
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

type Answer = { status: number; contentType: string | null; code: unknown };

/** An answer the route table does not declare: the route's `problems` or the operation is wrong. */
export class ContractError extends Error {
  override name = 'ContractError';
}

/** A verified user with a live session, made directly in the database, and an access token for it. */
export async function createUser(db: TestDatabase, options: { role?: 'user' | 'admin' } = {}) {
  const { signAccessToken } = await import('../../functions/core/tokens');
  const name = `u_${randomUUID().slice(0, 8)}`;
  const [user] = await db.sql<{ id: string }[]>`
    insert into public.users (username, email, password_hash, is_email_verified, role)
    values (${name}, ${`${name}@example.com`}, 'scrypt$unusable', true, ${options.role ?? 'user'})
    returning id`;
  const [session] = await db.sql<{ id: string }[]>`
    insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
    values (${user!.id}, ${randomBytes(32)}, now() + interval '1 day')
    returning id`;
  const token = await signAccessToken({
    userId: user!.id,
    role: options.role ?? 'user',
    sessionId: session!.id,
  });
  return { id: user!.id, username: name, sessionId: session!.id, token };
}
