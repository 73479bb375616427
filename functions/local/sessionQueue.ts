import type { PGlite } from '@electric-sql/pglite';

/**
 * The order in which the embedded PostgreSQL's socket server runs its clients' protocol messages.
 *
 * PGlite is one database session, shared by every connection the socket server accepts. The
 * server's own queue lets another connection in between any two messages outside a transaction,
 * but the extended query protocol keeps state between messages: postgres.js (with `prepare:
 * false`) sends Parse, Describe and Flush for an unnamed statement, waits for the parameter
 * types, then sends Bind, Execute and Sync. Another connection's Parse or simple query in that
 * gap replaced or dropped the unnamed statement, and the first connection's Bind then failed
 * (SQLSTATE 26000, a 500) or bound the other connection's statement.
 *
 * This queue gives the session to one connection from its first message until PostgreSQL says
 * it is idle again (ReadyForQuery with status `I`, after a Sync or a simple query, outside a
 * transaction), as a real server's one session per connection would. Inside a transaction, or
 * between Parse and Sync, or during COPY, only that connection's messages run.
 */
export class SessionQueue {
  private queue: Item[] = [];
  private running = false;
  /** The connection whose messages alone may run, or null when the session is idle. */
  private holder: number | null = null;

  constructor(private readonly db: PGlite) {}

  /** Called by the socket server for each complete message a connection sent. */
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.run();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** A connection closed: its waiting messages are refused. */
  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /**
   * A connection closed while it held the session: end what it left open (an extended-protocol
   * sequence without its Sync, a transaction) so that the next connection starts idle.
   */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.holder !== handlerId) return;
    await this.db.runExclusive(() => this.db.execProtocolRaw(sync));
    if (this.db.isInTransaction()) await this.db.exec('rollback');
    this.holder = null;
    void this.run();
  }

  private next(): Item | undefined {
    if (this.holder === null) return this.queue.shift();
    const i = this.queue.findIndex((item) => item.handlerId === this.holder);
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        let bytes = 0;
        let tail: Uint8Array = new Uint8Array(0);
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item!.message, {
              onRawData: (data) => {
                bytes += data.length;
                tail = lastBytes(tail, data, readyForIdle.length);
                item!.onData(data);
              },
            }),
          );
        } catch (e) {
          this.holder = this.db.isInTransaction() ? item.handlerId : null;
          item.reject(e);
          continue;
        }
        this.holder = endsIdle(tail) ? null : item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.running = false;
    }
  }
}

interface Item {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

/** The Sync message. */
const sync = new Uint8Array([0x53, 0, 0, 0, 4]);
/** ReadyForQuery, idle: `Z`, length 5, status `I`. */
const readyForIdle = [0x5a, 0, 0, 0, 5, 0x49];

function lastBytes(tail: Uint8Array, data: Uint8Array, n: number): Uint8Array {
  const joined = new Uint8Array(tail.length + data.length);
  joined.set(tail);
  joined.set(data, tail.length);
  return joined.slice(Math.max(0, joined.length - n));
}

const endsIdle = (tail: Uint8Array) =>
  tail.length === readyForIdle.length && readyForIdle.every((b, i) => tail[i] === b);

/**
 * Puts a SessionQueue in the socket server in place of its own, before it accepts a connection
 * (each connection takes the server's queue when it is accepted).
 */
export function useSessionQueue(server: object, db: PGlite): void {
  const holder = server as { queryQueue?: unknown };
  if (!holder.queryQueue)
    throw new Error('@electric-sql/pglite-socket changed: its server has no queryQueue to replace');
  holder.queryQueue = new SessionQueue(db);
}
