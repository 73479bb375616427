import { NotFoundError } from '../core/errors';
import { Reply, type Operations } from '../core/operation';
import { decodeCursor, page } from '../core/pagination';
import { buildExport, downloadLink } from './build';
import * as q from './queries';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function exportView(row: q.ExportRow, download?: { url: string; expires_at: string } | null) {
  return {
    id: row.id,
    status: row.status,
    requested_at: row.requested_at.toISOString(),
    started_at: iso(row.started_at),
    ready_at: iso(row.ready_at),
    expires_at: iso(row.expires_at),
    size_bytes: row.status === 'ready' && row.size_bytes !== null ? Number(row.size_bytes) : null,
    sha256: row.status === 'ready' ? row.sha256 : null,
    ...(download !== undefined ? { download } : {}),
    failure: row.failure,
  };
}

export const operations: Operations<'exports'> = {
  /**
   * Built right after the commit, in the same invocation: a person's data is small (a year of daily
   * logs is well under a megabyte and a second, bench/exports.ts), and built as the person it can
   * hold no one else's rows, so no job role needs to read every person's health data.
   */
  async requestExport({ tx, sql, caller, request, afterCommit }) {
    const { row, created } = await q.claimExport(tx, caller.userId);
    if (created) {
      await q.audit(tx, {
        userId: caller.userId,
        event: 'data_export_requested',
        ip: request.ip,
        detail: { export_id: row.id },
      });
      const build = () =>
        buildExport(sql, { userId: caller.userId, exportId: row.id, requestId: request.id });
      if (afterCommit) afterCommit(build);
    }
    return new Reply(202, exportView(row), { location: `/me/exports/${row.id}` });
  },

  async listExports({ tx, caller, query }) {
    const rows = await q.exportsPage(tx, caller.userId, decodeCursor(query.cursor), query.limit);
    return page(
      rows,
      query.limit,
      (r) => ({ at: r.at, id: r.id }),
      (r) => exportView(r),
    );
  },

  async getExport({ tx, caller, params, request }) {
    const row = await q.exportById(tx, params.id);
    if (!row) throw new NotFoundError('No such export of yours', { code: 'export_not_found' });
    if (row.status !== 'ready' || row.object_key === null) return exportView(row, null);
    const link = await downloadLink(row.object_key, row.id);
    await q.audit(tx, {
      userId: caller.userId,
      event: 'data_export_link_issued',
      ip: request.ip,
      detail: { export_id: row.id },
    });
    return exportView(row, link);
  },
};
