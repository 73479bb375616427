/**
 * Helpers of the identity tests: inputs built as the middleware builds them (bodies parsed by the
 * route's own schemas), emails read back from the FileMailer's directory, users arranged directly.
 * Import this file before the code under test: `./env` sets what config and the mailer read.
 */
import './env';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { asUser, type Sql, type Tx } from '../../functions/core/db';
import { AppError } from '../../functions/core/errors';
import type { Caller } from '../../functions/core/tokens';
import { hashPassword } from '../../functions/core/passwords';
import { operations } from '../../functions/identity/operations';
import { sendDue } from '../../functions/jobs/mailOutbox/handler';
import { routes } from '../../functions/routes';
import { onPostgres, type TestDatabase } from '../support';

export const mailDir = process.env.MAIL_DIR;

type Ops = typeof operations;
type OpId = keyof Ops;

export const request = {
  id: 'test-request',
  ip: '203.0.113.7',
  userAgent: 'jest/identity',
  ifMatch: null,
} as const;

function schemaOf(id: OpId, part: 'body' | 'query' | 'params'): z.ZodType | undefined {
  const route = routes.find((r) => r.operationId === id);
  if (!route) throw new Error(`no route ${id}`);
  return (route.schemas as Record<string, z.ZodType | undefined>)[part];
}

const parse = (id: OpId, part: 'body' | 'query' | 'params', value: unknown) => {
  const schema = schemaOf(id, part);
  return schema ? schema.parse(value ?? {}) : undefined;
};

/** Calls a public operation as the middleware would: input validated by the route's schemas. */
export function callPublic<Id extends OpId>(
  db: Pick<TestDatabase, 'sql'>,
  id: Id,
  body: unknown,
): Promise<unknown> {
  const op = operations[id] as (input: unknown) => Promise<unknown>;
  return op({
    params: undefined,
    query: undefined,
    body: parse(id, 'body', body),
    caller: null,
    tx: null,
    sql: db.sql,
    request,
  });
}

/** Calls a signed-in operation inside the caller's own transaction (row-level security applies). */
export function callAsUser<Id extends OpId>(
  db: Pick<TestDatabase, 'sql'>,
  id: Id,
  caller: Caller,
  parts: { body?: unknown; query?: unknown; params?: unknown } = {},
): Promise<unknown> {
  const op = operations[id] as (input: unknown) => Promise<unknown>;
  return asUser(db.sql, caller.userId, (tx: Tx) =>
    op({
      params: parse(id, 'params', parts.params),
      query: parse(id, 'query', parts.query),
      body: parse(id, 'body', parts.body),
      caller,
      tx,
      sql: db.sql,
      request,
    }),
  );
}

/** The AppError a call fails with (status and code), or a failure when it succeeds. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; code: string; error: AppError }> {
  try {
    await call;
  } catch (e) {
    if (e instanceof AppError) return { status: e.status, code: e.code, error: e };
    throw e;
  }
  throw new Error('expected the call to fail');
}

export interface Mail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  /** The raw token on its own line, if the email carries one. */
  readonly token: string | undefined;
}

const seen = new Set<string>();

/**
 * Emails to `to` written since the last call (each email is returned once), after the mail-outbox
 * job has sent what the calls so far queued.
 */
export async function newMailTo(db: Pick<TestDatabase, 'sql'>, to: string): Promise<Mail[]> {
  await sendDue({ sql: db.sql });
  const out: Mail[] = [];
  for (const name of readdirSync(mailDir as string).sort()) {
    const file = join(mailDir as string, name);
    if (seen.has(file)) continue;
    const raw = readFileSync(file, 'utf8');
    const end = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, end);
    const body = raw.slice(end + 4);
    const header = (n: string) => new RegExp(`^${n}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
    if (header('To').toLowerCase() !== to.toLowerCase()) continue;
    seen.add(file);
    out.push({
      file,
      to: header('To'),
      subject: header('Subject'),
      body,
      token: /^([A-Za-z0-9_-]{43})\r?$/m.exec(body)?.[1],
    });
  }
  return out;
}

/** The one new email to `to`; fails if there is none or more than one. */
export async function onlyMailTo(db: Pick<TestDatabase, 'sql'>, to: string): Promise<Mail> {
  const mails = await newMailTo(db, to);
  if (mails.length !== 1) throw new Error(`expected one email, found ${mails.length}`);
  return mails[0] as Mail;
}

/**
 * On PostgreSQL, a client whose session user is the API's login role (`eatsential_api`, NOINHERIT,
 * member of `eatsential_write` and `eatsential_auth`), as in AWS: operations called through it get
 * only the privileges production has, where the owner client would get them all. PGlite serves
 * every client from one backend session, so a session-level switch would also change the owner
 * client: there the operations run through the owner client (still under SET ROLE, so table
 * privileges and row-level security apply; only role membership goes unchecked).
 */
export function useApiRole(db: TestDatabase): Pick<TestDatabase, 'sql'> {
  let api: Sql | undefined;
  beforeAll(async () => {
    if (!onPostgres) return;
    api = db.connect();
    await api`set session authorization eatsential_api`;
  });
  return {
    get sql() {
      return api ?? db.sql;
    },
  };
}

export const goodPassword = 'violet harbor lantern';

let knownHash: Promise<string> | undefined;

/**
 * A verified account made directly in the database with `goodPassword` (hashed once per file), so
 * tests that are not about registration do not pay for it.
 */
export async function arrangeUser(
  sql: Sql,
  options: { verified?: boolean; role?: 'user' | 'admin'; passwordHash?: string } = {},
): Promise<{ id: string; username: string; email: string }> {
  knownHash ??= hashPassword(goodPassword);
  const passwordHash = options.passwordHash ?? (await knownHash);
  const username = `u_${randomUUID().slice(0, 8)}`;
  const email = `${username}@example.com`;
  const [row] = await sql<{ id: string }[]>`
    insert into public.users (username, email, password_hash, is_email_verified, role)
    values (${username}, ${email}, ${passwordHash}, ${options.verified ?? true}, ${options.role ?? 'user'})
    returning id`;
  const id = (row as { id: string }).id;
  await sql`insert into auth.password_history (user_id, password_hash) values (${id}, ${passwordHash})`;
  return { id, username, email };
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  session_id: string;
  expires_in: number;
  token_type: string;
}

/** Logs in and answers the token pair and the caller it stands for. */
export async function login(
  db: Pick<TestDatabase, 'sql'>,
  user: { id: string; email: string },
  options: { password?: string; deviceName?: string; role?: 'user' | 'admin' } = {},
): Promise<{ tokens: TokenPair; caller: Caller }> {
  const tokens = (await callPublic(db, 'login', {
    email: user.email,
    password: options.password ?? goodPassword,
    ...(options.deviceName ? { device_name: options.deviceName } : {}),
  })) as TokenPair;
  return { tokens, caller: { userId: user.id, role: options.role ?? 'user', sessionId: tokens.session_id } };
}

export async function auditEvents(sql: Sql, userId: string): Promise<string[]> {
  const rows = await sql<{ event: string }[]>`
    select event from audit.audit_logs where user_id = ${userId} order by occurred_at, id`;
  return rows.map((r) => r.event);
}
