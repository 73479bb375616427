import * as z from 'zod';
import { BadRequestError } from './errors';

/** `?limit=&cursor=`: the cursor is opaque to clients (base64url of the last key seen). */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), next_cursor: z.string().nullable() });

/** Keyset position: the sort timestamp and the id that breaks ties. */
export interface Keyset {
  readonly at: string;
  readonly id: string;
}

/**
 * Cursor timestamps a client may have tampered with must still be values PostgreSQL reads without
 * an error: offsets within ±15:59 (SQLSTATE 22009 beyond), no year 0 (22008), and, more narrowly,
 * an instant between 1970 and 9999 (every row this API pages through was written in that span).
 */
const earliest = Date.UTC(1970, 0, 1);
const latest = Date.UTC(10000, 0, 1);
const keysetAt = z.iso.datetime({ offset: true }).refine((at) => {
  const offsetHours = /([+-])(\d{2}):\d{2}$/.exec(at)?.[2];
  if (offsetHours !== undefined && Number(offsetHours) > 15) return false;
  const instant = Date.parse(at);
  return instant >= earliest && instant < latest;
}, 'out of range');

const keyset = z.strictObject({ at: keysetAt, id: z.uuid() });

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify(k)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (cursor === undefined) return null;
  try {
    return keyset.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new BadRequestError('The cursor is not one this API issued', { code: 'invalid_cursor' });
  }
}

/** Rows fetched with `limit + 1`: trims the extra row and derives the next cursor from the last kept. */
export function page<R, T>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => Keyset,
  toItem: (row: R) => T,
): { items: T[]; next_cursor: string | null } {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return {
    items: kept.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
