import { database, transaction, type Sql, type Tx } from '../../core/db';
import { exportTarget, type ExportTarget } from '../../core/s3';
import { copyToObject, putJson } from '../backup/copy';
import { reported } from '../report';

/** Rows deleted per transaction. */
export const batchSize = 1000;

const whole = (name: string, raw: string | undefined, fallback: number, min: number) => {
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number, at least ${min} (got "${raw}")`);
  }
  return value;
};

/** `ACCESS_LOG_RETENTION_MONTHS` (13 by default) and `AUTH_GRACE_DAYS` (30), set per stage by the CDK. */
export function retentionSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    months: whole('ACCESS_LOG_RETENTION_MONTHS', env.ACCESS_LOG_RETENTION_MONTHS, 13, 1),
    graceDays: whole('AUTH_GRACE_DAYS', env.AUTH_GRACE_DAYS, 30, 1),
  };
}

const monthEnd = (month: string) => {
  const d = new Date(`${month}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
};

/**
 * access-log-retention: each monthly access-log partition wholly older than the retention is
 * exported (COPY, gzip, SSE-KMS) to `access-logs/YYYY-MM.copy.gz` with a manifest, then dropped
 * by lifecycle.drop_access_log_partition, which first checks that it still holds exactly the rows
 * exported (under an exclusive lock). Then ended sessions (with their rotated refresh tokens),
 * used or expired verification tokens and rotated refresh tokens are deleted once the grace
 * period after they ended is over. Runs as eatsential_job_retention.
 */
export function run({
  sql,
  target,
  months = retentionSettings().months,
  graceDays = retentionSettings().graceDays,
}: {
  sql: Sql;
  target?: ExportTarget;
  months?: number;
  graceDays?: number;
}) {
  return reported('access-log-retention', async () => {
    const as = <T>(fn: Parameters<typeof transaction<T>>[2]) =>
      transaction(sql, { role: 'eatsential_job_retention' }, fn);
    const retention = `${months} months`;
    const old = await as(
      (tx) =>
        tx<{ month: string }[]>`
        select to_char(month, 'YYYY-MM-DD') as month from lifecycle.access_log_partitions()
        where month + interval '1 month' <= (now() at time zone 'UTC') - ${retention}::interval
        order by month`,
    );
    const dropped: string[] = [];
    let exportedRows = 0;
    for (const { month } of old) {
      const bucket = target ?? (await exportTarget());
      const name = month.slice(0, 7);
      const out = await sql.begin('isolation level repeatable read read only', async (tx) => {
        await tx`select set_config('role', 'eatsential_job_retention', true)`;
        return copyToObject(tx, bucket, {
          table: 'audit.access_logs',
          columns: [
            'id',
            'user_id',
            'session_id',
            'ip_address',
            'user_agent',
            'endpoint',
            'method',
            'status_code',
            'response_time_ms',
            'error_message',
            'accessed_at',
          ],
          where: `accessed_at >= '${month}T00:00:00Z' and accessed_at < '${monthEnd(month)}'`,
          key: `access-logs/${name}.copy.gz`,
        });
      });
      await putJson(bucket, `access-logs/${name}.json`, {
        table: 'audit.access_logs',
        month: name,
        file: `${name}.copy.gz`,
        ...out,
      });
      const ok = await as(async (tx) => {
        const [r] = await tx<{ dropped: boolean }[]>`
          select lifecycle.drop_access_log_partition(${month}::date, ${out.rows}, ${retention}::interval) as dropped`;
        return r?.dropped ?? false;
      });
      if (ok) dropped.push(name);
      exportedRows += out.rows;
    }

    const grace = `${graceDays} days`;
    const drain = async (statement: (tx: Tx) => PromiseLike<readonly unknown[]>) => {
      let total = 0;
      for (;;) {
        const n = await as(async (tx) => (await statement(tx)).length);
        total += n;
        if (n < batchSize) return total;
      }
    };
    const sessions = await drain(
      (tx) => tx`
        delete from auth.user_sessions where id in (
          select id from auth.user_sessions
          where expires_at < now() - ${grace}::interval or revoked_at < now() - ${grace}::interval
          limit ${batchSize})
        returning id`,
    );
    const tokens = await drain(
      (tx) => tx`
        delete from auth.verification_tokens where id in (
          select id from auth.verification_tokens
          where expires_at < now() - ${grace}::interval or used_at < now() - ${grace}::interval
          limit ${batchSize})
        returning id`,
    );
    const rotated = await drain(
      (tx) => tx`
        delete from auth.rotated_refresh_tokens where token_hash in (
          select token_hash from auth.rotated_refresh_tokens
          where rotated_at < now() - ${grace}::interval
          limit ${batchSize})
        returning 1`,
    );
    return {
      retentionMonths: months,
      partitionsDropped: dropped,
      rows: exportedRows,
      sessions,
      tokens,
      rotatedRefreshTokens: rotated,
    };
  });
}

export const handler = async () => run({ sql: await database() });
