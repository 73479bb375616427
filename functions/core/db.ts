import postgres from 'postgres';
import { secrets } from './config';
import { textLiteral } from './literal';

export type Sql = postgres.Sql;
/**
 * A client inside a transaction: what `transaction` hands its callback (a reserved connection), or
 * `sql.begin`'s (jobs that need an isolation level). Typed as the client interface both share.
 */
export type Tx = postgres.ISql;

/**
 * Where to connect. Locally a URL (`DATABASE_URL`); in AWS the RDS Proxy endpoint and the
 * credentials read from Secrets Manager (see `config.ts`).
 */
export type DbTarget =
  | { readonly url: string }
  | {
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly username: string;
      /** A function is asked at each new connection: rotated passwords need no restart. */
      readonly password: string | (() => Promise<string>);
    };

export interface ClientOptions {
  /** @default 1: one connection per Lambda container; RDS Proxy does the pooling. */
  readonly max?: number;
  /** Verify the server certificate (always in AWS). @default false for URLs, true otherwise */
  readonly tls?: boolean;
  /** @default 'eatsential' */
  readonly applicationName?: string;
}

/**
 * The one postgres.js client factory. Settings follow the RDS Proxy rules: no named prepared
 * statements (they pin proxy connections), idle connections closed before the proxy's idle client
 * timeout, connect timeout well under the Lambda timeout.
 */
export function createSql(target: DbTarget, options: ClientOptions = {}): Sql {
  const common = {
    max: options.max ?? 1,
    prepare: false,
    idle_timeout: 60,
    connect_timeout: 5,
    max_lifetime: 60 * 30,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 'eatsential' },
  } satisfies postgres.Options<Record<string, postgres.PostgresType>>;
  if ('url' in target) {
    return postgres(target.url, { ...common, ssl: options.tls ? { rejectUnauthorized: true } : false });
  }
  return postgres({
    ...common,
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.username,
    password: target.password,
    ssl: options.tls === false ? false : { rejectUnauthorized: true },
  });
}

/**
 * The roles a transaction may run as. The login role has no privileges of its own (NOINHERIT);
 * each transaction takes the narrowest role for its work.
 * - `eatsential_write`: a signed-in user's request, confined by row-level security to that user.
 * - `eatsential_auth`: the identity service before a user is known (login, register, reset).
 * - `eatsential_admin`: operators.
 * - `eatsential_job_<name>`: one scheduled job, with only the grants it needs (sql/README.md).
 */
export type DbRole = 'eatsential_write' | 'eatsential_auth' | 'eatsential_admin' | JobRole;

export type JobRole =
  | 'eatsential_job_partitions'
  | 'eatsential_job_idempotency_keys'
  | 'eatsential_job_purge'
  | 'eatsential_job_anonymise'
  | 'eatsential_job_backup'
  | 'eatsential_job_retention'
  | 'eatsential_job_rekey'
  | 'eatsential_job_mail_outbox';

/** How the transaction ended, as its epilogue sees it. */
export type Outcome<T> = { readonly value: T } | { readonly error: unknown };

/**
 * A statement sent in the same message as COMMIT (or ROLLBACK), so it costs no round trip of its
 * own; it runs after the transaction, outside it, as the login role. It must be built from literals
 * (`literal.ts`) and must not raise: in one message an error stops what follows and the client
 * cannot tell which statement failed, so an error from that message is taken to be COMMIT's
 * (`audit.record_access` returns its failure instead of raising it).
 */
export interface Epilogue<T> {
  statement(outcome: Outcome<T>): string;
  /** Its rows once sent, or `undefined` when the message failed or the connection was lost. */
  settled?(rows: readonly postgres.Row[] | undefined): void;
}

/** What `transaction` hands its work besides the client. */
export interface TransactionContext {
  /** The rows of each prologue statement, in order. */
  readonly prologue: readonly (readonly postgres.Row[])[];
  /**
   * Queues a statement built from literals to run inside the transaction just before COMMIT, in
   * COMMIT's message: work that must commit with the transaction but whose answer nobody waits
   * for (a read-audit row). If it fails, nothing commits and the transaction fails with its error.
   */
  atCommit(statement: string): void;
}

/**
 * The one transaction helper. `app.current_user_id` and the role are transaction-local
 * (`set_config(..., true)` is `SET LOCAL`), so nothing leaks to the next request on a pooled
 * connection and nothing pins an RDS Proxy connection.
 *
 * BEGIN and the `prologue` (by default the statement that sets the role and user) go out as one
 * simple-protocol message, and its rows are handed to `fn`; the statements queued with `atCommit`,
 * COMMIT and the `epilogue` go out as another. A signed-in read is then four round trips: BEGIN's
 * message, the query's describe and execute (postgres.js describes every parameterised statement
 * when named statements are off), and COMMIT's. Messages, not pipelined statements: the embedded
 * PGlite loses unnamed statements pipelined behind BEGIN or COMMIT. The connection is reserved for
 * the transaction and given back at its end.
 */
export async function transaction<T>(
  sql: Sql,
  as: { readonly role: DbRole; readonly userId?: string | null },
  fn: (tx: Tx, context: TransactionContext) => Promise<T>,
  options: {
    /**
     * SELECT statements built from literals (no parameters: simple-protocol messages carry none);
     * the first sets the role and user.
     */
    readonly prologue?: string | readonly string[];
    readonly epilogue?: Epilogue<T>;
  } = {},
): Promise<T> {
  const prologue =
    options.prologue === undefined
      ? [
          `select set_config('app.current_user_id', ${textLiteral(as.userId ?? '')}, true), set_config('role', ${textLiteral(as.role)}, true)`,
        ]
      : typeof options.prologue === 'string'
        ? [options.prologue]
        : options.prologue;
  const { epilogue } = options;
  const beforeCommit: string[] = [];
  const tx = await sql.reserve();
  try {
    let value: T;
    try {
      const results = resultsOf(await tx.unsafe(['begin', ...prologue].join('; ')));
      // BEGIN answers first; every SELECT after it answers one result, even an empty one.
      if (results.length !== prologue.length + 1) throw new Error('a prologue statement is not a SELECT');
      value = await fn(tx, { prologue: results.slice(1), atCommit: (st) => void beforeCommit.push(st) });
    } catch (error) {
      await end(tx, ['rollback'], epilogue, { error }).catch(() => undefined);
      throw error;
    }
    try {
      await end(tx, [...beforeCommit, 'commit'], epilogue, { value });
    } catch (error) {
      // COMMIT, or a statement before it, failed: the epilogue did not run. ROLLBACK ends a
      // transaction a failed statement left open (after a failed COMMIT it only warns), and the
      // epilogue goes with it, seeing the failure.
      await end(tx, ['rollback'], epilogue, { error }).catch(() => undefined);
      throw error;
    }
    return value;
  } finally {
    tx.release();
  }
}

async function end<T>(
  tx: Tx,
  statements: readonly string[],
  epilogue: Epilogue<T> | undefined,
  outcome: Outcome<T>,
): Promise<void> {
  const after = epilogue?.statement(outcome);
  const committing = statements.includes('commit');
  let results: postgres.Row[][];
  try {
    results = resultsOf(await tx.unsafe([...statements, ...(after ? [after] : [])].join('; ')));
  } catch (error) {
    // A failed COMMIT message is followed by ROLLBACK's, with the epilogue, which settles then.
    if (after && !committing) epilogue?.settled?.(undefined);
    throw error;
  }
  if (after) epilogue?.settled?.(results[results.length - 1] ?? []);
}

/**
 * The results of a simple-protocol message, one per statement that answers rows (a SELECT, even
 * with none) plus the first statement's whatever it is: postgres.js keeps no other.
 */
function resultsOf(results: postgres.RowList<postgres.Row[]>): postgres.Row[][] {
  const all = results as unknown as postgres.Row[][];
  return Array.isArray(all[0]) ? all : [results];
}

/** Runs `fn` as the given user: row-level security shows and changes only that user's rows. */
export function asUser<T>(sql: Sql, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(sql, { role: 'eatsential_write', userId }, fn);
}

/** PostgreSQL error codes the code base branches on. */
export const SqlState = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  foreignKeyViolation: '23503',
  notNullViolation: '23502',
  exclusionViolation: '23P01',
  insufficientPrivilege: '42501',
  invalidParameterValue: '22023',
  invalidTextRepresentation: '22P02',
  raiseException: 'P0001',
} as const;

export function isPgError(e: unknown): e is postgres.PostgresError {
  return (
    e instanceof Error && e.name === 'PostgresError' && typeof (e as { code?: unknown }).code === 'string'
  );
}

let sql: Promise<Sql> | undefined;

/** The container's one database client, created on first use and kept for the container's life. */
export function database(): Promise<Sql> {
  sql ??= connect().catch((e: unknown) => {
    sql = undefined;
    throw e;
  });
  return sql;
}

async function connect(): Promise<Sql> {
  const url = process.env.DATABASE_URL;
  if (url) return createSql({ url }, { max: Number(process.env.DB_POOL_MAX ?? 1) });
  const { DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN } = process.env;
  if (!DB_HOST || !DB_SECRET_ARN)
    throw new Error('neither DATABASE_URL nor DB_HOST and DB_SECRET_ARN are set');
  const credentials = async () =>
    JSON.parse(await secrets.get(DB_SECRET_ARN)) as { username: string; password: string };
  return createSql({
    host: DB_HOST,
    port: Number(DB_PORT ?? 5432),
    database: DB_NAME ?? 'eatsential',
    username: (await credentials()).username,
    password: async () => (await credentials()).password,
  });
}

/** For tests and the local server: forget the client so the next `database()` reconnects. */
export async function resetDatabase(): Promise<void> {
  const current = sql;
  sql = undefined;
  if (current) await (await current).end({ timeout: 5 });
}
