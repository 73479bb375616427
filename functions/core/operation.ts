import type { Row } from 'postgres';
import type { z } from 'zod';
import type { Domain } from '../domains';
import type { AppRoute } from '../routes';
import type { Sql, Tx } from './db';
import type { Caller } from './tokens';

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

type RoutesOf<D extends Domain> = Extract<AppRoute, { domain: D }>;
type RouteById<D extends Domain, Id extends string> = Extract<RoutesOf<D>, { operationId: Id }>;

/** What an operation receives: validated input, the caller, and the database. */
export interface OperationInput<R extends AppRoute> {
  readonly params: Infer<R['schemas'] extends { params: infer P } ? P : undefined>;
  readonly query: Infer<R['schemas'] extends { query: infer Q } ? Q : undefined>;
  readonly body: Infer<R['schemas'] extends { body: infer B } ? B : undefined>;
  /** The signed-in caller: present on `user` and `admin` routes, null on `public` ones. */
  readonly caller: R['access'] extends 'public' ? null : Caller;
  /**
   * On `user` and `admin` routes: the request's one transaction, already running as the caller
   * (`eatsential_write`, `app.current_user_id` set) so row-level security applies. Null on public routes.
   */
  readonly tx: R['access'] extends 'public' ? null : Tx;
  /** On signed-in routes of a domain with a `context` statement (`handlerFor`): its rows. */
  readonly context?: readonly Row[];
  /**
   * On `user` and `admin` routes: queues a statement built from literals to run in the request's
   * transaction just before COMMIT, in COMMIT's message (`TransactionContext.atCommit`). Null on
   * public routes; absent when an operation is called outside the handler (run such a statement
   * on `tx` then).
   */
  readonly atCommit?: ((statement: string) => void) | null;
  /** The container's client, for public routes (`transaction(sql, { role: 'eatsential_auth' }, ...)`). */
  readonly sql: Sql;
  /**
   * Work to run once the request's transaction has committed, before the answer leaves (a
   * Lambda does nothing after it answers): e.g. building an export the committed row announces.
   * It runs its own transactions and handles its own failure. Absent where no handler runs.
   */
  readonly afterCommit?: (work: () => Promise<unknown>) => void;
  readonly request: {
    readonly id: string;
    readonly ip: string | null;
    readonly userAgent: string | null;
    /** The `If-Match` header, for writes that must not overwrite a version the client has not seen. */
    readonly ifMatch: string | null;
  };
}

/**
 * An answer other than the route's success status with its body, e.g. a 201 with a Location header.
 * Operations return either a plain body (checked against the route's response schema) or a Reply.
 */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** A success body that is not JSON (a page, a script), sent as it is with its media type. */
export class RawBody {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}
}

export type Operation<R extends AppRoute> = (input: OperationInput<R>) => Promise<unknown>;

/** One function per operationId of the domain: the compiler checks none is missing. */
export type Operations<D extends Domain> = {
  readonly [Id in RoutesOf<D>['operationId']]: Operation<RouteById<D, Id>>;
};
