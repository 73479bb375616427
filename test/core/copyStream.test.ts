import type { Readable } from 'node:stream';
import { useTestDatabase } from '../support';

// postgres.js pauses the socket when a COPY stream's buffer is full. When the rows that fill it and
// CopyDone arrive in the same read, the stream ends without ever reading again, so nothing resumed
// the socket: the next query on that connection waited for ever (a backup's snapshot transaction
// hung after one table's COPY). patches/postgres+3.4.9.patch resumes the socket at CopyDone.
const db = useTestDatabase();

/** Reads a stream to its end and returns the number of bytes. */
const drain = (stream: Readable) =>
  new Promise<number>((resolve, reject) => {
    let bytes = 0;
    stream.on('data', (c: Buffer) => (bytes += c.length));
    stream.once('end', () => resolve(bytes));
    stream.once('error', reject);
  });

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);

describe('COPY TO STDOUT through postgres.js', () => {
  it('leaves the connection usable when a whole COPY arrives in one read', async () => {
    const sql = db.connect({ max: 1 });
    const answers: unknown[] = [];
    // About 40 KB: more than the stream's 16 KB buffer, less than one socket read. Without the
    // patch the first few rounds hang on PostgreSQL and on PGlite.
    for (let round = 0; round < 30; round++) {
      const answer = await within(
        10_000,
        sql.begin(async (tx) => {
          const stream = (await tx
            .unsafe(`copy (select repeat('x', 100) from generate_series(1, 400)) to stdout`)
            .readable()) as Readable;
          const bytes = await drain(stream);
          const [row] = await tx<{ one: number }[]>`select 1 as one`;
          return { bytes, one: row?.one };
        }),
      );
      answers.push(answer);
      if (answer === 'timed out') break;
    }
    expect(answers).toEqual(Array.from({ length: 30 }, () => ({ bytes: 400 * 101, one: 1 })));
  });

  // A consumer that gives up part-way (the export file could not be written) destroys the stream.
  // The socket was paused for the full buffer and only the stream's reads resumed it, so the rest
  // of the COPY was never read and the next query waited for ever. The patch drops the rest of
  // the rows and reads on.
  it('leaves the connection usable when the consumer destroys the stream part-way', async () => {
    const sql = db.connect({ max: 1 });
    const answer = await within(
      20_000,
      sql.begin(async (tx) => {
        // About 20 MB: far more than the stream's buffer and the socket's.
        const stream = (await tx
          .unsafe(`copy (select repeat('x', 100) from generate_series(1, 200000)) to stdout`)
          .readable()) as Readable;
        const first = await new Promise<number>((resolve, reject) => {
          stream.once('data', (c: Buffer) => resolve(c.length));
          stream.once('error', reject);
        });
        stream.pause();
        // Let the socket fill the stream's buffer and pause.
        await new Promise((r) => setTimeout(r, 200));
        stream.destroy();
        const [row] = await tx<{ one: number }[]>`select 1 as one`;
        return { first: first > 0, one: row?.one };
      }),
    );
    expect(answer).toEqual({ first: true, one: 1 });
    // The pool's connection is whole: another transaction runs.
    expect(await within(10_000, sql`select 2 as two`)).toEqual([{ two: 2 }]);
  });
});
