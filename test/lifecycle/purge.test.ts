import { run } from '../../functions/jobs/purge/handler';
import { onPostgres, useTestDatabase } from '../support';
import { fillPerson, personColumns, rowsOf } from './people';

describe('purge-deleted-accounts', () => {
  const db = useTestDatabase();

  it('links every user column of the schema to a purge rule, and fills every person-linked table', async () => {
    // Any uuid column named *user_id anywhere is a link to a person: purge must know it.
    const loose = await db.sql<{ col: string }[]>`
      select n.nspname || '.' || c.relname || '.' || a.attname as col
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition and a.attnum > 0 and not a.attisdropped
        and a.atttypid = 'uuid'::regtype and a.attname like '%user_id'
        and n.nspname not in ('pg_catalog', 'information_schema')
        and not exists (select 1 from lifecycle.person_columns() p
                        where p.table_schema = n.nspname and p.table_name = c.relname and p.column_name = a.attname)`;
    expect(loose).toEqual([]);

    const person = await fillPerson(db.sql);
    const held = await rowsOf(db.sql, person.id);
    // A person-linked table the fixture leaves empty would let a purge bug pass unseen.
    expect(Object.entries(held).filter(([, n]) => n === 0)).toEqual([]);
  });

  it('removes every row of a deleted account, unlinks audit rows, keeps the other person untouched', async () => {
    const gone = await fillPerson(db.sql);
    const kept = await fillPerson(db.sql);
    await db.sql`update public.users set deleted_at = now() - interval '2 hours', is_active = false where id = ${gone.id}`;
    const keptBefore = await rowsOf(db.sql, kept.id);
    const securityEvents =
      await db.sql`select count(*)::int as n from audit.audit_logs where user_id = ${gone.id}`;

    const report = await run({ sql: db.sql, limit: 2 });

    expect(report).toMatchObject({ recorded: 1, completed: 1, oldestPendingSeconds: 0 });
    expect(Object.entries(await rowsOf(db.sql, gone.id)).filter(([, n]) => n > 0)).toEqual([]);
    expect(await db.sql`select * from public.users where id = ${gone.id}`).toEqual([]);
    // Nothing anywhere still holds the id, in any column (jsonb copies in the audit included).
    const [{ n: anywhere }] = (await db.sql`
      select count(*)::int as n from audit.data_changes
      where old_data::text like ${'%' + gone.id + '%'} or new_data::text like ${'%' + gone.id + '%'}`) as unknown as [
      { n: number },
    ];
    expect(anywhere).toBe(0);
    expect(await rowsOf(db.sql, kept.id)).toEqual(keptBefore);
    // Security events stay, without the person and their address.
    const unlinked =
      await db.sql`select count(*)::int as n from audit.audit_logs where user_id is null and ip is null and event = 'auth.login'`;
    expect(unlinked[0]!.n).toBeGreaterThanOrEqual(securityEvents[0]!.n);
    const ledger = await db.sql`select * from lifecycle.erasures`;
    expect(ledger).toEqual([{ account_id: gone.id, asked_at: expect.any(Date), done_at: expect.any(Date) }]);
    expect(Object.keys(ledger[0]!)).toEqual(['account_id', 'asked_at', 'done_at']);

    const again = await run({ sql: db.sql });
    expect(again).toMatchObject({ recorded: 0, pending: 0, rows: 0 });
  });

  it('finishes an interrupted purge on the next run, doing nothing twice', async () => {
    const gone = await fillPerson(db.sql);
    await db.sql`update public.users set deleted_at = now(), is_active = false where id = ${gone.id}`;
    const total = Object.values(await rowsOf(db.sql, gone.id)).reduce((a, b) => a + b, 0);
    // Interrupt the run after its first few batches.
    let batches = 0;
    await expect(
      run({
        sql: db.sql,
        limit: 1,
        progress: () => {
          if (++batches === 5) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const [pending] = await db.sql`select done_at from lifecycle.erasures where account_id = ${gone.id}`;
    expect(pending!.done_at).toBeNull();
    const left = Object.values(await rowsOf(db.sql, gone.id)).reduce((a, b) => a + b, 0);
    expect(left).toBeLessThan(total);

    const second = await run({ sql: db.sql });
    expect(second).toMatchObject({ completed: 1, pending: 1 });
    expect(Object.values(await rowsOf(db.sql, gone.id)).every((n) => n === 0)).toBe(true);
  });

  it('reports how long the oldest pending deletion has waited', async () => {
    const gone = await fillPerson(db.sql);
    await db.sql`update public.users set deleted_at = now() - interval '3 hours', is_active = false where id = ${gone.id}`;
    await db.sql`select lifecycle.record_erasure_requests()`;
    const [age] =
      await db.sql`select extract(epoch from now() - min(asked_at))::int as s from lifecycle.pending_erasures()`;
    expect(age!.s).toBeGreaterThanOrEqual(3 * 3600);
    await run({ sql: db.sql });
    expect(await db.sql`select * from lifecycle.pending_erasures()`).toEqual([]);
  });

  it('gives the purge role nothing to read and no way to purge a live account', async () => {
    const live = await fillPerson(db.sql);
    await expect(
      db.sql.begin(async (tx) => {
        await tx`set local role eatsential_job_purge`;
        await tx`select * from public.user_payment_methods`;
      }),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.sql.begin(async (tx) => {
        await tx`set local role eatsential_job_purge`;
        await tx`select lifecycle.purge_batch(${live.id}, 'public', 'user_payment_methods', 'user_id', 10)`;
      }),
    ).rejects.toMatchObject({ code: '42501' });
    const columns = await personColumns(db.sql);
    expect(columns.length).toBeGreaterThan(20);
    void onPostgres;
  });
});
