/**
 * SQL literals for the few hot statements sent without parameters. postgres.js, with named prepared
 * statements off (RDS Proxy), describes every statement that has parameters in a round trip of its
 * own before running it, and sends nothing after it until then; a statement without parameters
 * goes out at once and pipelines with its neighbours. Each encoder accepts only what it can
 * render safely, and renders only characters that cannot end a literal: text travels as hex.
 */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class LiteralError extends Error {}

/** `'<uuid>'::uuid`, or `null`. */
export function uuidLiteral(value: string | null): string {
  if (value === null) return 'null';
  if (!uuidPattern.test(value)) throw new LiteralError('not a UUID');
  return `'${value.toLowerCase()}'::uuid`;
}

/** A safe integer, or `null`. */
export function intLiteral(value: number | null): string {
  if (value === null) return 'null';
  if (!Number.isSafeInteger(value)) throw new LiteralError('not a safe integer');
  return String(value);
}

/**
 * Any string, exactly, as `convert_from('\x<hex>'::bytea, 'UTF8')`, or `null`. A JavaScript string
 * always encodes to valid UTF-8 (a lone surrogate becomes U+FFFD); NUL, which text cannot hold, is
 * dropped.
 */
export function textLiteral(value: string | null): string {
  if (value === null) return 'null';
  const hex = Buffer.from(value.replace(/\0/g, ''), 'utf8').toString('hex');
  return `convert_from('\\x${hex}'::bytea, 'UTF8')`;
}
