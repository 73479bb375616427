import { PreconditionFailedError } from './errors';

/** `If-None-Match` / `If-Match` lists: `*` or quoted tags, weak ones compared by their opaque part. */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** The strong ETag of a stored version (a row's updated_at in microseconds). */
export const versionTag = (prefix: string, version: string): string => `"${prefix}-${version}"`;

/**
 * A write with `If-Match` goes ahead only over the version the client has seen: two phones editing
 * the same record cannot silently overwrite each other. `current` is null when nothing exists yet,
 * which only `If-Match: *`'s absence lets through.
 */
export function requireMatch(ifMatch: string | null, current: string | null): void {
  if (ifMatch === null) return;
  if (current !== null && etagMatches(ifMatch, current)) return;
  throw new PreconditionFailedError(
    current === null
      ? 'Nothing exists here yet to match If-Match; send the request without it'
      : 'This record changed since you read it; read it again and reapply your change',
    { code: 'stale_version', headers: current === null ? {} : { etag: current } },
  );
}
