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

const keyset = z.strictObject({ at: z.iso.datetime({ offset: true }), id: z.uuid() });

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
