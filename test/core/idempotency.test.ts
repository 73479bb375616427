import { createHash, randomUUID } from 'node:crypto';
import { transaction } from '../../functions/core/db';
import { claim, complete, requestHash } from '../../functions/core/idempotency';
import { run as purge } from '../../functions/jobs/idempotencyKeys/handler';
import { testJwtSecret } from '../support/api';
import { useTestDatabase } from '../support';

process.env.JWT_SECRET = testJwtSecret;

describe('idempotency keys', () => {
  const db = useTestDatabase();
  const scope = { userId: null, route: 'POST /auth/register' };
  const body = { username: 'idem_user', email: 'idem@example.com', password: 'a long enough password' };

  it('fingerprint bodies with a keyed hash, never a plain one a backup could be tested against', async () => {
    const hash = await requestHash(body);
    expect(hash.equals(await requestHash({ ...body }))).toBe(true);
    expect(hash.equals(createHash('sha256').update(JSON.stringify(body)).digest())).toBe(false);
    expect(hash.equals(await requestHash({ ...body, password: 'another long password' }))).toBe(false);
  });

  it('replays the first answer, refuses another body, and frees a claim abandoned for over a minute', async () => {
    const key = randomUUID();
    const hash = await requestHash(body);
    expect(await claim({ sql: db.sql }, scope, key, hash)).toBeNull();
    await expect(claim({ sql: db.sql }, scope, key, hash)).rejects.toMatchObject({
      code: 'idempotency_request_in_progress',
    });

    await db.sql`update public.idempotency_keys set created_at = now() - interval '2 minutes' where key = ${key}`;
    expect(await claim({ sql: db.sql }, scope, key, hash)).toBeNull();
    await complete({ sql: db.sql }, scope, key, { status: 202, body: { status: 'accepted' } });

    expect(await claim({ sql: db.sql }, scope, key, hash)).toEqual({
      status: 202,
      body: { status: 'accepted' },
    });
    await expect(
      claim({ sql: db.sql }, scope, key, await requestHash({ ...body, username: 'other' })),
    ).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
  });

  it('are purged by the job once expired, and only then', async () => {
    const [fresh, expired] = [randomUUID(), randomUUID()];
    for (const key of [fresh, expired]) await claim({ sql: db.sql }, scope, key, await requestHash(key));
    await db.sql`update public.idempotency_keys set created_at = now() - interval '2 days', expires_at = now() - interval '1 day' where key = ${expired}`;

    const report = await purge({ sql: db.sql });

    expect(report.deleted).toBe(1);
    const left = await transaction(
      db.sql,
      { role: 'eatsential_auth' },
      (tx) => tx`select key from public.idempotency_keys where key in ${tx([fresh, expired])}`,
    );
    expect(left.map((r) => r.key)).toEqual([fresh]);
  });
});
