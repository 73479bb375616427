/**
 * A TCP relay between a client and PostgreSQL that counts, on the wire, what a request costs the
 * database: statements (each one the server completed or refused: its CommandComplete and
 * ErrorResponse messages, so a simple-protocol message of three statements counts three) and round
 * trips (each time the client sends again after the server has answered). Pipelined statements, and
 * the statements of one message, share a round trip.
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

/**
 * Messages after start-up are a type byte, then an int32 length that counts itself. The client's
 * start-up message has no type byte; an SSL or GSS request before it is answered with one byte.
 */
function counter(counts: WireCounts) {
  let client = Buffer.alloc(0);
  let server = Buffer.alloc(0);
  let started = false;
  let serverSkip = 0;
  return {
    fromClient(chunk: Buffer) {
      if (started) return;
      client = Buffer.concat([client, chunk]);
      while (!started && client.length >= 8) {
        const length = client.readInt32BE(0);
        const code = client.readInt32BE(4);
        if (client.length < length) return;
        client = client.subarray(length);
        if (code === 80877103 || code === 80877104) serverSkip += 1;
        else started = true;
      }
    },
    fromServer(chunk: Buffer) {
      server = Buffer.concat([server, chunk]);
      const skip = Math.min(serverSkip, server.length);
      server = server.subarray(skip);
      serverSkip -= skip;
      for (;;) {
        if (server.length < 5) return;
        const length = server.readInt32BE(1);
        if (server.length < 1 + length) return;
        const type = String.fromCharCode(server[0]!);
        // CommandComplete, or ErrorResponse: a statement ended. (Start-up errors count too; a
        // counted request never has one.)
        if (type === 'C' || type === 'E') counts.statements += 1;
        server = server.subarray(1 + length);
      }
    },
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
      count.fromClient(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      answered = true;
      count.fromServer(chunk);
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
