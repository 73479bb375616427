import { open } from '../../functions/core/notes';
import { run } from '../../functions/jobs/rekey/handler';
import { useTestDatabase } from '../support';
import { fillPerson, keyring } from './people';

describe('rotate-note-keys', () => {
  const db = useTestDatabase();

  it('re-encrypts every note under an old key with the current one, and counts per version', async () => {
    const a = await fillPerson(db.sql, { ring: keyring(1) });
    const b = await fillPerson(db.sql, { ring: keyring(2) });
    const columns = await db.sql`select * from lifecycle.note_columns()`;
    expect(columns.length).toBeGreaterThanOrEqual(7);

    const report = await run({ sql: db.sql, keyring: keyring(3), limit: 2 });

    expect(report.before).toEqual({ '1': columns.length, '2': columns.length });
    expect(report.after).toEqual({ '3': 2 * columns.length });
    expect(report).toMatchObject({ rows: 2 * columns.length, unreadable: 0 });
    for (const c of columns) {
      const rows = await db.sql.unsafe<{ owner: string; sealed: Buffer; v: number }[]>(
        `select ${c.owner_column}::text as owner, ${c.column_name} as sealed, ${c.version_column} as v
         from ${c.table_schema}.${c.table_name} where ${c.owner_column} in ($1, $2)`,
        [a.id, b.id],
      );
      for (const r of rows) {
        const table = `${c.table_schema}.${c.table_name}`;
        expect(
          open(
            keyring(3),
            { ciphertext: r.sealed, keyVersion: r.v },
            { table, column: c.column_name, userId: r.owner },
          ),
        ).toBe(`note of ${r.owner} in ${table}`);
      }
    }
    expect((await run({ sql: db.sql, keyring: keyring(3) })).rows).toBe(0);
  });

  it('counts a ciphertext it cannot open and leaves it alone', async () => {
    const p = await fillPerson(db.sql, { ring: keyring(3) });
    await db.sql`update health.mood_logs set notes_key_version = 1 where user_id = ${p.id}`;
    const report = await run({ sql: db.sql, keyring: keyring(3) });
    expect(report).toMatchObject({ rows: 0, unreadable: 1 });
  });

  it('lets the rekey role read note columns but not payment cards or other columns', async () => {
    const as = (q: string) =>
      db.sql.begin(async (tx) => {
        await tx`set local role eatsential_job_rekey`;
        return tx.unsafe(q);
      });
    await expect(
      as('select notes_encrypted, notes_key_version, user_id from health.mood_logs'),
    ).resolves.toBeDefined();
    await expect(as('select mood_score from health.mood_logs')).rejects.toMatchObject({ code: '42501' });
    await expect(as('select * from public.user_payment_methods')).rejects.toMatchObject({ code: '42501' });
  });
});
