import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServer } from '../../functions/local/server';
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
  /** Waits until the server's mail outbox has sent every email queued so far. */
  deliverMail(): Promise<void>;
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
 *
 * `inProcess: true` hands each request to the server's `serve` (functions/local/server.ts)
 * without a socket: the same path checks, routing, event and Lambda handler, and the target goes
 * exactly as written (fetch would resolve `..` and `%2e%2e` before sending). Suites that send
 * thousands of requests use it, with `poolMax` connections (2 by default) to serve them at once.
 */
export function useApi(setup: { inProcess?: boolean; poolMax?: number } = {}): TestApi {
  let server: ApiServer | undefined;
  // Registered before the database's hooks, so it runs before the database is dropped: no drain
  // of the mail outbox may be left running against it.
  afterAll(async () => {
    await server?.stopMail();
  });
  const db = useTestDatabase();
  const mailDir = mkdtempSync(join(tmpdir(), 'eatsential-mail-'));
  let url = '';
  let check: ((method: string, path: string, answer: Answer) => string | null) | undefined;
  let direct: typeof import('../../functions/local/server').serve | undefined;

  beforeAll(async () => {
    process.env.DATABASE_URL = db.url;
    process.env.JWT_SECRET = testJwtSecret;
    process.env.NOTE_KEYRING = JSON.stringify(testNoteKeyring);
    process.env.MAIL_DIR = mailDir;
    process.env.DB_POOL_MAX = String(setup.poolMax ?? 2);
    const { createApiServer, serve } = await import('../../functions/local/server');
    direct = serve;
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
    deliverMail: () => server?.deliverMail() ?? Promise.resolve(),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = setup.inProcess
        ? await inProcess(direct as NonNullable<typeof direct>, method, path, headers, body)
        : await fetch(`${url}${path}`, { method, headers, body });
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

/** One request through the local server's `serve`, answered as fetch would answer it. */
async function inProcess(
  serve: typeof import('../../functions/local/server').serve,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Response> {
  const [{ maxBodyBytes }, { PayloadTooLargeError }, { problemFor, problemResponse }] = await Promise.all([
    import('../../functions/core/request'),
    import('../../functions/core/errors'),
    import('../../functions/core/problems'),
  ]);
  const lower: Record<string, string> = { host: '127.0.0.1', 'user-agent': 'eatsential-tests' };
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  let result;
  try {
    result = await serve(
      { method, url: target, headers: lower, httpVersion: '1.1', remoteAddress: '127.0.0.1' },
      async () => {
        if (Buffer.byteLength(body ?? '', 'utf8') > maxBodyBytes)
          throw new PayloadTooLargeError('The request body is larger than 1 MB', { code: 'body_too_large' });
        return body ?? '';
      },
    );
  } catch (e) {
    // What the HTTP server answers when `serve` throws (createApiServer).
    const { problem, headers: extra } = problemFor(e);
    result = problemResponse(problem, extra);
  }
  const out = new Headers();
  for (const [k, v] of Object.entries(result.headers ?? {})) out.set(k, String(v));
  const status = result.statusCode ?? 200;
  return new Response(status === 204 || status === 304 ? null : (result.body ?? ''), {
    status,
    headers: out,
  });
}

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
