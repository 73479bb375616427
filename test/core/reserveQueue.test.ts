import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { createSql } from '../../functions/core/db';
import { useTestDatabase } from '../support';

// Every transaction reserves a connection (`sql.reserve()`). When the pool is busy the reserve
// waits in postgres.js's queue; when a connection then closes (the database server restarted, RDS
// Proxy dropped it), postgres.js reconnected with the waiting reserve as the connection's first
// query and, once connected, dropped it: that request waited for ever (the crash-restart fault
// suite hung). patches/postgres+3.4.9.patch keeps the reserve queued until a connection is handed
// to it, and settles it once. The connections here run through a loopback proxy the test can cut.
const db = useTestDatabase();

interface Proxy {
  readonly url: string;
  /** Closes every connection through the proxy, as a server crash does. */
  cut(): void;
  /** Stops listening: connecting is refused, as when the server is down. */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  close(): Promise<void>;
}

async function proxy(
  target: string,
  options: {
    /** Cuts the first connection whose client sends this text, before it reaches the server. */
    readonly cutFirstSending?: string;
  } = {},
): Promise<Proxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let armed = options.cutFirstSending !== undefined;
  const server: Server = createServer((client) => {
    const upstream = connectTcp(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(options.cutFirstSending as string)) {
        armed = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.port = String(port);
  // close() stops accepting at once; its callback would wait for the open connections to end.
  const stop = async () => {
    if (server.listening) server.close();
  };
  return {
    url: url.toString(),
    cut: () => sockets.forEach((s) => s.destroy()),
    refuse: stop,
    accept: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    close: () => {
      sockets.forEach((s) => s.destroy());
      return stop();
    },
  };
}

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a reserve waiting for a pooled connection through postgres.js', () => {
  let through: Proxy;
  beforeEach(async () => {
    through = await proxy(db.url);
  });
  afterEach(() => through.close());

  it('gets a connection when the busy one is lost', async () => {
    const sql = createSql({ url: through.url }, { max: 1 });
    try {
      const first = await sql.reserve();
      await first`select 1`;
      const waiting = sql.reserve();
      await sleep(50);
      through.cut();
      const second = await within(10_000, waiting);
      expect(second).not.toBe('timed out');
      if (second === 'timed out') return;
      const [row] = await second<{ n: number }[]>`select 2 as n`;
      second.release();
      expect(row).toEqual({ n: 2 });
      // The pool still has its one connection: a query after the release runs.
      expect(await within(10_000, sql`select 3 as n`)).toEqual([{ n: 3 }]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  // Every new connection first reads the server's array types, in a query nothing awaited: when
  // the connection closed during it (the server restarting as clients reconnect), the rejection
  // was unhandled, which ends a Lambda's process. Patched to be dropped; the reserve waiting for
  // that connection gets the next one.
  it('survives a connection lost while it reads the array types', async () => {
    await through.close();
    through = await proxy(db.url, { cutFirstSending: 'typarray' });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const sql = createSql({ url: through.url }, { max: 1 });
    try {
      const reserved = await within(10_000, sql.reserve());
      expect(reserved).not.toBe('timed out');
      if (reserved === 'timed out') return;
      expect(await reserved`select 1 as n`).toEqual([{ n: 1 }]);
      reserved.release();
      await sleep(100);
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await sql.end({ timeout: 1 });
    }
  });

  it('fails the reserve while the server is away and serves the next one when it is back', async () => {
    const sql = createSql({ url: through.url }, { max: 1 });
    try {
      const first = await sql.reserve();
      await first`select 1`;
      const waiting = sql.reserve().then(
        (r) => (r.release(), 'reserved'),
        () => 'rejected',
      );
      await sleep(50);
      await through.refuse();
      through.cut();
      // Connecting is refused: the waiting reserve fails (the API answers 503 and the app retries).
      expect(await within(10_000, waiting)).toBe('rejected');
      await through.accept();
      // No connection was lost to a reserve that had already failed.
      for (let round = 0; round < 5; round++) {
        const next = await within(10_000, sql.reserve());
        expect(next).not.toBe('timed out');
        if (next === 'timed out') return;
        expect(await next`select ${round}::int as n`).toEqual([{ n: round }]);
        next.release();
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
