/**
 * A TCP relay between a client and PostgreSQL that counts, on the wire, what a request costs the
 * database: statements (Query and Execute messages of the frontend protocol) and round trips (each
 * time the client sends again after the server has answered). Pipelined statements share a round trip.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface WireCounts {
  statements: number;
  roundTrips: number;
}

export interface Wire {
  /** The relay's URL: `target` with its host and port replaced. */
  readonly url: string;
  readonly counts: WireCounts;
  close(): Promise<void>;
}

/** Frontend messages after start-up: a type byte, then an int32 length that counts itself. */
function counter(counts: WireCounts) {
  let buffered = Buffer.alloc(0);
  let started = false;
  return (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!started) {
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        const code = buffered.readInt32BE(4);
        if (buffered.length < length) return;
        buffered = buffered.subarray(length);
        // An SSL or GSS request is answered with one byte and followed by the real start-up message.
        if (code !== 80877103 && code !== 80877104) started = true;
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return;
      const type = String.fromCharCode(buffered[0]!);
      if (type === 'Q' || type === 'E') counts.statements += 1;
      buffered = buffered.subarray(1 + length);
    }
  };
}

export async function startWire(target: string): Promise<Wire> {
  const to = new URL(target);
  const counts: WireCounts = { statements: 0, roundTrips: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(to.port || 5432), to.hostname);
    sockets.add(client).add(upstream);
    const count = counter(counts);
    let answered = true;
    client.on('data', (chunk: Buffer) => {
      if (answered) counts.roundTrips += 1;
      answered = false;
      count(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      answered = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    counts,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs `task` `n` times one after another and gives the wire's cost per call. */
export async function perCall(wire: Wire, n: number, task: () => Promise<void>): Promise<WireCounts> {
  const before = { ...wire.counts };
  for (let i = 0; i < n; i += 1) await task();
  return {
    statements: (wire.counts.statements - before.statements) / n,
    roundTrips: (wire.counts.roundTrips - before.roundTrips) / n,
  };
}
