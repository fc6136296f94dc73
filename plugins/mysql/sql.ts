import { escape } from 'mysql2';
import { TaskError } from '../../src/sdk';

/**
 * Backtick-quote an identifier from a task row or params after checking it: no backtick, no NUL,
 * 1..64 characters. A table name can never inject SQL.
 * @throws TaskError naming what the identifier was for
 */
export function quoteIdent(name: string, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64 || /[`\u0000]/.test(name) || name !== name.trim()) {
    throw new TaskError(`${what} ${JSON.stringify(name)} is not a valid MySQL identifier`);
  }
  return `\`${name}\``;
}

/** `schema`.`table`, both checked. */
export function qualifiedTable(schema: string, table: string, what: string): string {
  return `${quoteIdent(schema, `${what} schema`)}.${quoteIdent(table, `${what} table`)}`;
}

/** Integer text a statement may carry bare (optional minus, at most 20 digits: any 64-bit key). */
export const integerText = /^-?\d{1,20}$/;

/** A JSON-safe key value: strings and numbers as is, binary as `{ $hex }`. */
export type KeyValue = string | number | null | { $hex: string };

/** Encode a value read from MySQL for a shard spec (plain JSON). */
export function toKeyValue(v: unknown): KeyValue {
  if (Buffer.isBuffer(v)) return { $hex: v.toString('hex') };
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : String(v);
}

const needsEscape = /[\0\b\t\n\r\x1a"'\\]/;
const escapable = /[\0\b\t\n\r\x1a"'\\]/g;
const escapes: Record<string, string> = { '\0': '\\0', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', '"': '\\"', "'": "\\'", '\\': '\\\\' };

/**
 * Quote a string for a statement sent with backslash escapes on (goshift sessions never set
 * NO_BACKSLASH_ESCAPES). Strings without special characters, the common case, are not scanned twice.
 */
export function quoteString(s: string): string {
  return needsEscape.test(s) ? `'${s.replace(escapable, (c) => escapes[c])}'` : `'${s}'`;
}

/** SQL literal of a value as mysql2 returns it (strings, numbers, Buffers, null) or a key value. */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  if (Buffer.isBuffer(v)) return `X'${v.toString('hex')}'`;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'object' && v !== null && '$hex' in v) return `X'${String((v as { $hex: string }).$hex)}'`;
  if (v instanceof Date) return escape(v.toISOString().slice(0, 23).replace('T', ' '));
  return escape(JSON.stringify(v));
}

/**
 * Row-order comparison of a key tuple with values, expanded so every server uses the index:
 * `(a,b) > (x,y)` becomes `a > x OR (a = x AND b > y)`.
 */
export function tupleCompare(cols: string[], op: '>' | '>=' | '<', values: unknown[]): string {
  const strict = op === '>=' ? '>' : op;
  const parts: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const eqs = cols.slice(0, i).map((c, j) => `${c} = ${literal(values[j])}`);
    const last = i === cols.length - 1 && op === '>=' ? '>=' : strict;
    parts.push([...eqs, `${cols[i]} ${last} ${literal(values[i])}`].join(' AND '));
  }
  return parts.length === 1 ? parts[0] : `(${parts.map((p) => `(${p})`).join(' OR ')})`;
}
