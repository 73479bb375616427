import postgres from 'postgres';
import { startPglite } from '../support/db';

/**
 * The embedded PostgreSQL is one session shared by every connection of its socket server. Each
 * connection keeps it from its first message until it is idle again, so postgres.js's unnamed
 * statements (Parse and Describe, then Bind and Execute once the types are known) are never
 * replaced by another connection's between the two (SQLSTATE 26000, or another statement bound).
 * It runs on the embedded server whatever DATABASE_URL says: that server is what it is about.
 */
let pg: Awaited<ReturnType<typeof startPglite>>;
const clients: postgres.Sql[] = [];
const client = () => {
  const sql = postgres(pg.url, { max: 1, prepare: false, onnotice: () => undefined });
  clients.push(sql);
  return sql;
};

beforeAll(async () => {
  pg = await startPglite(null);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
  await pg.drop();
});

it('runs concurrent parameterised statements of several connections, each with its own parameters', async () => {
  const sqls = Array.from({ length: 6 }, client);
  // Each statement's text differs (its number as a literal): one bound in place of another shows.
  const answers = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      (sqls[i % sqls.length] as postgres.Sql)
        .unsafe<{ n: number; t: string }[]>(`select $1::int as n, $2::text || ' ${i}' as t`, [i, 'text'])
        .then((rows) => rows[0]),
    ),
  );
  expect(answers).toEqual(Array.from({ length: 300 }, (_, i) => ({ n: i, t: `text ${i}` })));
});

it('keeps a transaction to its connection, and others run once it ends', async () => {
  const [a, b] = [client(), client()];
  await a`create table if not exists queue_probe (n int)`;
  const tx = await a.reserve();
  await tx`begin`;
  await tx`insert into queue_probe values (${1})`;
  // b waits for the session; it sees the row only once a has committed.
  const seen = b<{ count: number }[]>`select count(*)::int as count from queue_probe where n = ${1}`;
  await tx`commit`;
  tx.release();
  expect((await seen)[0]?.count).toBe(1);
});

it('gives the session back when a connection closes in the middle of a transaction', async () => {
  const [a, b] = [client(), client()];
  const tx = await a.reserve();
  await tx`begin`;
  await tx`select ${1}::int`;
  tx.release();
  await a.end({ timeout: 0 });
  expect(await b<{ n: number }[]>`select ${2}::int as n`).toEqual([{ n: 2 }]);
});
