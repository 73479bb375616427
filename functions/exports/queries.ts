import type { Tx } from '../core/db';
import type { Keyset } from '../core/pagination';

/**
 * All SQL of the exports domain, run as `eatsential_write` with `app.current_user_id` set: row-level
 * security confines every statement, the export's reads included, to the caller's own rows.
 */

/** How long an export is kept once ready (the bucket's lifecycle rule on `exports/` matches it). */
export const keepDays = 7;

/** A pending or running export older than this was abandoned (its function stopped): it is failed. */
export const abandonedAfter = '15 minutes';

export interface ExportRow {
  id: string;
  status: 'pending' | 'running' | 'ready' | 'failed' | 'expired';
  object_key: string | null;
  size_bytes: string | null;
  sha256: string | null;
  failure: string | null;
  requested_at: Date;
  started_at: Date | null;
  ready_at: Date | null;
  expires_at: Date | null;
  /** requested_at at microsecond precision, for the cursor. */
  at: string;
}

const columns = (tx: Tx) => tx`
  id, case when status = 'ready' and expires_at <= now() then 'expired' else status end as status,
  object_key, size_bytes::text as size_bytes, sha256, failure, requested_at, started_at, ready_at, expires_at,
  to_char(requested_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`;

/**
 * A new pending export, or the one already pending or running (`created: false`). Two requests at
 * once: the unique partial index makes the second wait for the first's commit and then find its row.
 */
export async function claimExport(tx: Tx, userId: string): Promise<{ row: ExportRow; created: boolean }> {
  await tx`
    update public.data_exports set status = 'failed', failure = 'abandoned'
    where user_id = ${userId} and status in ('pending', 'running')
      and requested_at < now() - ${abandonedAfter}::interval`;
  const [created] = await tx<ExportRow[]>`
    insert into public.data_exports (user_id) values (${userId})
    on conflict (user_id) where status in ('pending', 'running') do nothing
    returning ${columns(tx)}`;
  if (created) return { row: created, created: true };
  const [running] = await tx<ExportRow[]>`
    select ${columns(tx)} from public.data_exports
    where user_id = ${userId} and status in ('pending', 'running')`;
  if (!running) throw new Error('an export conflicted with one that is no longer pending');
  return { row: running, created: false };
}

/** Starts the build of a pending export; false when it is not pending any more. */
export async function markRunning(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx`
    update public.data_exports set status = 'running', started_at = now()
    where id = ${id} and status = 'pending' returning id`;
  return rows.length > 0;
}

export async function markReady(
  tx: Tx,
  id: string,
  object: { key: string; size: number; sha256: string; expiresAt: Date },
): Promise<void> {
  await tx`
    update public.data_exports set status = 'ready', object_key = ${object.key}, size_bytes = ${object.size},
      sha256 = ${object.sha256}, ready_at = now(), expires_at = ${object.expiresAt}
    where id = ${id} and status = 'running'`;
}

export async function markFailed(tx: Tx, id: string, failure: string): Promise<void> {
  await tx`
    update public.data_exports set status = 'failed', failure = ${failure}
    where id = ${id} and status in ('pending', 'running')`;
}

export async function exportById(tx: Tx, id: string): Promise<ExportRow | undefined> {
  const [row] = await tx<ExportRow[]>`select ${columns(tx)} from public.data_exports where id = ${id}`;
  return row;
}

export async function exportsPage(
  tx: Tx,
  userId: string,
  after: Keyset | null,
  limit: number,
): Promise<ExportRow[]> {
  return tx<ExportRow[]>`
    select ${columns(tx)} from public.data_exports
    where user_id = ${userId}
      ${after ? tx`and (requested_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : tx``}
    order by requested_at desc, id desc
    limit ${limit + 1}`;
}

export type ExportEvent =
  'data_export_requested' | 'data_export_ready' | 'data_export_failed' | 'data_export_link_issued';

/** The export's audit trail in audit.audit_logs: which export, sizes, codes; never content. */
export async function audit(
  tx: Tx,
  entry: { userId: string; event: ExportEvent; ip?: string | null; detail: Record<string, string | number> },
): Promise<void> {
  await tx`
    insert into audit.audit_logs (user_id, event, detail, ip, occurred_at)
    values (${entry.userId}, ${entry.event}, ${tx.json(entry.detail)}, ${entry.ip ?? null}::inet, clock_timestamp())`;
}

/** The read of mental-wellness rows the export made, in audit.data_reads (tables and count only). */
export async function recordRead(
  tx: Tx,
  r: { userId: string; tables: string[]; rows: number; requestId: string },
): Promise<void> {
  await tx`
    insert into audit.data_reads (user_id, subject_user_id, tables, row_count, route, request_id)
    values (${r.userId}, ${r.userId}, ${r.tables}, ${r.rows}, 'POST /me/exports', ${r.requestId.slice(0, 128)})`;
}
