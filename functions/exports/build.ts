import { createHash } from 'node:crypto';
import { asUser, type Sql } from '../core/db';
import { describeError, logger } from '../core/log';
import { noteKeyring } from '../core/notes';
import { encryption, exportTarget, type ExportTarget } from '../core/s3';
import { collect } from './document';
import * as q from './queries';

/** Where a person's exports live in the exports bucket: one prefix per person, under `exports/`. */
export const exportPrefix = (userId: string) => `exports/${userId}/`;
export const objectKey = (userId: string, exportId: string) => `${exportPrefix(userId)}${exportId}.json`;

/** How long a download link works. */
export const linkSeconds = 15 * 60;

/**
 * Builds a pending export, right after the request that asked for it committed: reads everything
 * as the person in one transaction (audited), uploads one JSON document, records it ready. Each
 * step is its own short transaction, so a second request sees the export running meanwhile. A
 * failure marks the export failed with a code; the person may ask again.
 */
export async function buildExport(
  sql: Sql,
  job: { userId: string; exportId: string; requestId: string },
  bucket?: ExportTarget,
): Promise<'ready' | 'failed' | 'skipped'> {
  const target = bucket ?? (await exportTarget());
  const { userId, exportId } = job;
  let step: 'build_failed' | 'storage_unavailable' = 'build_failed';
  try {
    const ring = await noteKeyring();
    const built = await asUser(sql, userId, async (tx) => {
      if (!(await q.markRunning(tx, exportId))) return null;
      const out = await collect(tx, ring, { userId, exportId });
      if (out.wellness.rows > 0)
        await q.recordRead(tx, {
          userId,
          tables: out.wellness.tables,
          rows: out.wellness.rows,
          requestId: job.requestId,
        });
      return out;
    });
    if (!built) return 'skipped';
    const body = Buffer.from(JSON.stringify(built.document), 'utf8');
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = objectKey(userId, exportId);
    const expiresAt = new Date(Date.now() + q.keepDays * 86_400_000);
    step = 'storage_unavailable';
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ...encryption(target),
        // The bucket locks every object for a backup's life by default; an export is locked only
        // as long as it is kept, so the lifecycle rule can remove it after its 7 days.
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: expiresAt,
      }),
    );
    step = 'build_failed';
    await asUser(sql, userId, async (tx) => {
      await q.markReady(tx, exportId, { key, size: body.length, sha256, expiresAt });
      await q.audit(tx, {
        userId,
        event: 'data_export_ready',
        detail: { export_id: exportId, bytes: body.length },
      });
    });
    return 'ready';
  } catch (error) {
    logger.error('export failed', { export_id: exportId, step, error: describeError(error) });
    await asUser(sql, userId, async (tx) => {
      await q.markFailed(tx, exportId, step);
      await q.audit(tx, {
        userId,
        event: 'data_export_failed',
        detail: { export_id: exportId, failure: step },
      });
    }).catch((e: unknown) =>
      logger.error('export failure not recorded', { export_id: exportId, error: describeError(e) }),
    );
    return 'failed';
  }
}

/** A link to download a ready export, valid for `linkSeconds`. */
export async function downloadLink(
  key: string,
  exportId: string,
  bucket?: ExportTarget,
): Promise<{ url: string; expires_at: string }> {
  const target = bucket ?? (await exportTarget());
  // Loaded with the first link: most requests to the exports Lambda need neither.
  const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/s3-request-presigner'),
  ]);
  const url = await getSignedUrl(
    target.client,
    new GetObjectCommand({
      Bucket: target.bucket,
      Key: key,
      ResponseContentDisposition: `attachment; filename="eatsential-export-${exportId}.json"`,
    }),
    { expiresIn: linkSeconds },
  );
  return { url, expires_at: new Date(Date.now() + linkSeconds * 1000).toISOString() };
}
