import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { retentionSettings, run } from '../../functions/jobs/retention/handler';
import { useTestDatabase } from '../support';
import { createUser } from '../db/fixtures';
import { useTestBucket } from '../support/s3';

describe('access-log-retention', () => {
  const db = useTestDatabase();
  const bucket = useTestBucket('eatsential-exports-retention');
  const monthsAgo = (n: number) => {
    const d = new Date();
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, 10, 12));
  };
  const partition = (d: Date) => `access_logs_${d.toISOString().slice(0, 7).replace('-', '_')}`;

  it('exports, verifies and drops partitions past the retention, keeping younger ones', async () => {
    const old = monthsAgo(15);
    const young = monthsAgo(2);
    for (const d of [old, young]) {
      await db.sql`select audit.create_access_log_partition(${d.toISOString().slice(0, 10)}::date)`;
      await db.sql`insert into audit.access_logs (endpoint, method, status_code, accessed_at)
                   select '/me', 'GET', 200, ${d} from generate_series(1, 30)`;
    }

    const report = await run({ sql: db.sql, target: bucket.target, months: 13, graceDays: 30 });

    const month = old.toISOString().slice(0, 7);
    expect(report).toMatchObject({ partitionsDropped: [month], rows: 30 });
    const left =
      await db.sql`select relname from pg_class where relname in (${partition(old)}, ${partition(young)})`;
    expect(left.map((r) => r.relname)).toEqual([partition(young)]);
    const got = await bucket.target.client.send(
      new GetObjectCommand({ Bucket: bucket.target.bucket, Key: `access-logs/${month}.copy.gz` }),
    );
    const lines = gunzipSync(Buffer.from(await got.Body!.transformToByteArray()))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(30);
    expect(
      (await run({ sql: db.sql, target: bucket.target, months: 13, graceDays: 30 })).partitionsDropped,
    ).toEqual([]);
  });

  it('refuses to drop a partition whose rows differ from the export', async () => {
    const d = monthsAgo(20);
    await db.sql`select audit.create_access_log_partition(${d.toISOString().slice(0, 10)}::date)`;
    await db.sql`insert into audit.access_logs (endpoint, method, status_code, accessed_at) values ('/me', 'GET', 200, ${d})`;
    await expect(
      db.sql`select lifecycle.drop_access_log_partition(${d.toISOString().slice(0, 10)}::date, 5, '13 months')`,
    ).rejects.toThrow(/holds 1 rows, the export 5/);
    await expect(
      db.sql`select lifecycle.drop_access_log_partition(${monthsAgo(1).toISOString().slice(0, 10)}::date, 0, '13 months')`,
    ).rejects.toThrow(/not older than the retention/);
  });

  it('removes ended sessions and spent tokens after the grace period, keeping the rest', async () => {
    const { id } = await createUser(db.sql);
    const session = (created: string, expires: string, revoked: string | null) =>
      db.sql`insert into auth.user_sessions (user_id, refresh_token_hash, created_at, expires_at, revoked_at, revoked_reason)
             values (${id}, ${randomBytes(32)}, now() - ${created}::interval, now() - ${expires}::interval,
                     ${revoked === null ? null : db.sql`now() - ${revoked}::interval`}, ${revoked === null ? null : 'logout'})
             returning id`;
    const [expired] = await session('90 days', '40 days', null);
    const [revokedLong] = await session('90 days', '-10 days', '45 days');
    const [revokedRecently] = await session('20 days', '-10 days', '1 day');
    const [live] = await session('1 day', '-29 days', null);
    await db.sql`insert into auth.rotated_refresh_tokens (token_hash, session_id, rotated_at)
                 values (${randomBytes(32)}, ${live!.id}, now() - interval '40 days'),
                        (${randomBytes(32)}, ${live!.id}, now() - interval '1 day')`;
    await db.sql`insert into auth.verification_tokens (user_id, token_hash, token_type, created_at, expires_at, used_at)
                 values (${id}, ${randomBytes(32)}, 'email_verify', now() - interval '60 days', now() - interval '59 days', null),
                        (${id}, ${randomBytes(32)}, 'password_reset', now() - interval '60 days', now() + interval '1 day', now() - interval '31 days'),
                        (${id}, ${randomBytes(32)}, 'email_verify', now(), now() + interval '1 day', null)`;

    const report = await run({ sql: db.sql, target: bucket.target, months: 13, graceDays: 30 });

    expect(report).toMatchObject({ sessions: 2, tokens: 2, rotatedRefreshTokens: 1 });
    const kept = await db.sql`select id from auth.user_sessions where user_id = ${id} order by id`;
    expect(kept.map((r) => r.id).sort()).toEqual([revokedRecently!.id, live!.id].sort());
    expect(kept.map((r) => r.id)).not.toContain(expired!.id);
    expect(kept.map((r) => r.id)).not.toContain(revokedLong!.id);
    expect(
      await db.sql`select count(*)::int as n from auth.verification_tokens where user_id = ${id}`,
    ).toEqual([{ n: 1 }]);
  });

  it('takes the retention and the grace from the stage', () => {
    expect(retentionSettings({})).toEqual({ months: 13, graceDays: 30 });
    expect(() => retentionSettings({ ACCESS_LOG_RETENTION_MONTHS: '0' })).toThrow(/at least 1/);
  });

  it('lets the retention role read no account, card or health row', async () => {
    for (const q of [
      'select * from public.users',
      'select * from public.user_payment_methods',
      'select refresh_token_hash from auth.user_sessions',
    ]) {
      await expect(
        db.sql.begin(async (tx) => {
          await tx`set local role eatsential_job_retention`;
          await tx.unsafe(q);
        }),
      ).rejects.toMatchObject({ code: '42501' });
    }
  });
});
