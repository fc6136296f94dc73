/**
 * The NDJSON codec of rows: one JSON object per line. Text is a JSON string, NULL is `null`, and
 * bytes (Buffers: BLOB, VARBINARY, BIT) are `{"$b64": "<base64>"}`, so a row comes back with the
 * same bytes. Numbers and booleans stay JSON numbers and booleans; MySQL rows hold every number as
 * text, so big integers and decimals never pass through a double.
 */
import type { SyncRecord } from '../records';

/** The JSON form of one value: Buffers as `{"$b64": ...}`, bigints as text, nested values walked. */
export function toJsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (Buffer.isBuffer(v)) return { $b64: v.toString('base64') };
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

/** One NDJSON line (with its `\n`) for a row. */
export function encodeNdjsonRow(record: SyncRecord): string {
  return `${JSON.stringify(toJsonValue(record))}\n`;
}

function reviveBytes(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const b64 = (value as { $b64?: unknown }).$b64;
    if (keys.length === 1 && typeof b64 === 'string') return Buffer.from(b64, 'base64');
  }
  return value;
}

/**
 * The row of one NDJSON line (without its newline; a trailing `\r` is fine), or undefined for a
 * blank line. `{"$b64": ...}` objects become Buffers.
 * @throws Error when the line is not JSON or not an object
 */
export function decodeNdjsonLine(line: string): SyncRecord | undefined {
  if (line.trim() === '') return undefined;
  const value = JSON.parse(line, reviveBytes) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) throw new Error('a line must be one JSON object');
  return value as SyncRecord;
}
