import { PGlite } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { useSessionQueue } from './sessionQueue';

export interface EmbeddedPostgres {
  /** postgres.js connection URL of the socket server on loopback. */
  readonly url: string;
  readonly db: PGlite;
  /** A tarball of the data directory, to start other instances from (a template). */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory to keep the data in; in memory when omitted. */
  readonly dataDir?: string;
  /** Start from a tarball made by `dump()`. */
  readonly from?: Blob;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Concurrent client connections; the one session serves them one at a time (sessionQueue.ts). @default 16 */
  readonly maxConnections?: number;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the wire protocol on 127.0.0.1 so that
 * postgres.js and the same SQL run against it exactly as against RDS.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.from,
    extensions: { pgcrypto, cube },
  });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 16,
  });
  // One session for every connection: each keeps it until it is idle again (sessionQueue.ts).
  useSessionQueue(server, db);
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    db,
    dump: () => db.dumpDataDir('none') as Promise<Blob>,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
