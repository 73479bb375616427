import { database, transaction, type Sql } from '../../core/db';
import { noteKeyring, open, seal, type Keyring } from '../../core/notes';
import { reported, type Progress } from '../report';

/** Ciphertexts re-encrypted per transaction. */
export const batchSize = 500;

interface NoteColumn {
  table_schema: string;
  table_name: string;
  column_name: string;
  version_column: string;
  owner_column: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * rotate-note-keys: every note ciphertext (each `*_encrypted` column with its `*_key_version`,
 * found from the catalog) not under the keyring's current version is opened with its own key and
 * sealed again with the current one, bound to the same table, column and owner. Batches walk each
 * table in (owner, ciphertext) order and write only rows still holding the ciphertext read, so a
 * note its owner changed meanwhile is left as they wrote it. Reports the ciphertexts per key
 * version before and after: when no row is left under a version, that key can be retired.
 */
export function run({
  sql,
  keyring,
  progress,
  limit = batchSize,
}: {
  sql: Sql;
  keyring?: Keyring;
  progress?: Progress;
  limit?: number;
}) {
  return reported('rotate-note-keys', async () => {
    const ring = keyring ?? (await noteKeyring());
    const asRekey = <T>(fn: Parameters<typeof transaction<T>>[2]) =>
      transaction(sql, { role: 'eatsential_job_rekey' }, fn);
    const columns = await asRekey(
      (tx) => tx<NoteColumn[]>`select * from lifecycle.note_columns() order by 1, 2, 3`,
    );
    const census = async () => {
      const counts: Record<string, number> = {};
      for (const c of columns) {
        const rows = await asRekey((tx) =>
          tx.unsafe<{ version: number; n: number }[]>(
            `select ${ident(c.version_column)} as version, count(*)::int as n
             from ${ident(c.table_schema)}.${ident(c.table_name)}
             where ${ident(c.column_name)} is not null group by 1`,
          ),
        );
        for (const r of rows) counts[String(r.version)] = (counts[String(r.version)] ?? 0) + r.n;
      }
      return counts;
    };
    const before = await census();
    const total = Object.entries(before)
      .filter(([v]) => Number(v) !== ring.current)
      .reduce((n, [, c]) => n + c, 0);
    let rows = 0;
    let unreadable = 0;
    for (const c of columns) {
      const table = `${ident(c.table_schema)}.${ident(c.table_name)}`;
      const [owner, col, ver] = [ident(c.owner_column), ident(c.column_name), ident(c.version_column)];
      let after: [string, Buffer] | null = null;
      for (;;) {
        const batch = await asRekey(async (tx) => {
          const found = await tx.unsafe<{ owner: string; sealed: Buffer; version: number }[]>(
            `select ${owner}::text as owner, ${col} as sealed, ${ver} as version from ${table}
             where ${col} is not null and ${ver} <> $1
               and ($2::uuid is null or (${owner}, ${col}) > ($2::uuid, $3::bytea))
             order by ${owner}, ${col} limit $4`,
            [ring.current, after?.[0] ?? null, after?.[1] ?? null, limit],
          );
          const owners: string[] = [];
          const olds: Buffer[] = [];
          const news: Buffer[] = [];
          for (const r of found) {
            const context = {
              table: `${c.table_schema}.${c.table_name}`,
              column: c.column_name,
              userId: r.owner,
            };
            let text: string;
            try {
              text = open(ring, { ciphertext: r.sealed, keyVersion: r.version }, context);
            } catch {
              unreadable++; // a missing key or a damaged ciphertext: counted, left as it is
              continue;
            }
            owners.push(r.owner);
            olds.push(r.sealed);
            news.push(seal(ring, text, context).ciphertext);
          }
          if (owners.length > 0) {
            await tx.unsafe(
              `update ${table} t set ${col} = x.new, ${ver} = $4
               from (select o, decode(a, 'hex') as old, decode(b, 'hex') as new
                     from unnest($1::uuid[], $2::text[], $3::text[]) as u(o, a, b)) as x
               where t.${owner} = x.o and t.${col} = x.old`,
              [owners, olds.map((b) => b.toString('hex')), news.map((b) => b.toString('hex')), ring.current],
            );
          }
          const last = found[found.length - 1];
          return { count: found.length, resealed: owners.length, last };
        });
        rows += batch.resealed;
        progress?.(rows, total);
        if (batch.count < limit || !batch.last) break;
        after = [batch.last.owner, batch.last.sealed];
      }
    }
    return { current: ring.current, rows, unreadable, before, after: await census() };
  });
}

export const handler = async () => run({ sql: await database() });
