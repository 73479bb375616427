/** `host:port/database` of a connection URL, for messages: never the user or password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** One line for a failure to reach the database, naming where and why. */
export function connectionFailure(url: string, e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `cannot reach the database at ${describeDatabaseUrl(url)}: ${err.code ?? ''} ${err.message ?? String(e)}`
    .replace(/\s+/g, ' ')
    .trim();
}
