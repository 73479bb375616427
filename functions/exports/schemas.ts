import * as z from 'zod';
import { pageOf, pageQuery } from '../core/pagination';

const instant = z.iso.datetime({ offset: true });

export const exportStatus = z.enum(['pending', 'running', 'ready', 'failed', 'expired']);

export const dataExport = z
  .strictObject({
    id: z.uuid(),
    status: exportStatus,
    requested_at: instant,
    started_at: instant.nullable(),
    ready_at: instant.nullable(),
    expires_at: instant.nullable(),
    size_bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    /** Only on `GET /me/exports/{id}` of a ready export: valid for 15 minutes. */
    download: z.strictObject({ url: z.url(), expires_at: instant }).nullable().optional(),
    failure: z.string().nullable(),
  })
  .meta({ id: 'DataExport' });

export const exportParams = z.strictObject({ id: z.uuid() });
export const exportsQuery = pageQuery;
export const exportsPage = pageOf(dataExport).meta({ id: 'DataExportPage' });
