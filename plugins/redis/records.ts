import { isUtf8 } from 'node:buffer';

/** Redis data types goshift copies. Module types travel as DUMP payloads only. */
export type RedisType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';

/**
 * One Redis key as a record: `{key, type, value, ttl_ms}` (design.md).
 *
 * - `ttl_ms`: remaining time to live in ms, -1 when the key does not expire.
 * - `value` by type, as the reader emits it for a Redis target (binary safe, Buffers) and for
 *   other stores (text, when `peerType` is not redis):
 *   string: Buffer | string; hash: flat [field, value, ...] | {field: value};
 *   list and set: array of members; zset: flat [member, score, ...] | {member: score};
 *   stream: [[id, [field, value, ...]], ...] | [{id, fields: {field: value}}].
 * - `dump: true`: `value` is a DUMP payload (redis->redis only), restored with RESTORE.
 * - `chunk`: one page of a big collection. Pages of one key share `id`; the writer builds the key
 *   under a temp name and renames it over the real key when `last` arrives, so a key is never
 *   seen half-copied.
 */
export interface RedisRecord {
  key: Buffer | string;
  type: RedisType | string;
  value: unknown;
  ttl_ms: number;
  dump?: boolean;
  chunk?: { id: string; index: number; last: boolean };
}

/** Bytes of a reply value, for the bytes/s figure. */
export function sizeOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return 8;
  if (Array.isArray(value)) {
    let n = 0;
    for (const v of value) n += sizeOf(v);
    return n;
  }
  if (typeof value === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) n += k.length + sizeOf(v);
    return n;
  }
  return 0;
}

/** A reply Buffer as text when it is valid UTF-8, else the Buffer itself (binary data stays exact). */
export function text(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return isUtf8(value) ? value.toString('utf8') : value;
  return value;
}

function str(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Turn a raw typed reply (Buffers, flat lists) into the text form used for non-Redis stores. */
export function toGenericValue(type: string, raw: unknown): unknown {
  switch (type) {
    case 'string':
      return text(raw);
    case 'hash':
    case 'zset': {
      const flat = raw as unknown[];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < flat.length; i += 2) obj[str(flat[i])] = type === 'zset' ? str(flat[i + 1]) : text(flat[i + 1]);
      return obj;
    }
    case 'list':
    case 'set':
      return (raw as unknown[]).map(text);
    case 'stream':
      return (raw as [Buffer, Buffer[]][]).map(([id, fields]) => {
        const obj: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i += 2) obj[str(fields[i])] = text(fields[i + 1]);
        return { id: str(id), fields: obj };
      });
    default:
      return raw;
  }
}

type Arg = Buffer | string;

function toArg(v: unknown): Arg {
  if (Buffer.isBuffer(v) || typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/**
 * Flatten a typed value (either form above) into the argument list the write script takes:
 * string: [value]; hash: field, value...; list/set: members; zset: member, score...;
 * stream: id, field count, field, value...
 */
export function flattenValue(type: string, value: unknown): Arg[] {
  if (type === 'string') return [toArg(value)];
  if (type === 'list' || type === 'set') return (value as unknown[]).map(toArg);
  if (type === 'hash' || type === 'zset') {
    if (Array.isArray(value)) {
      // flat [a, b, ...] or pairs [[a, b], ...]
      if (value.length > 0 && Array.isArray(value[0])) return (value as unknown[][]).flatMap(([a, b]) => [toArg(a), toArg(b)]);
      return value.map(toArg);
    }
    const out: Arg[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out.push(k, toArg(v));
    return out;
  }
  if (type === 'stream') {
    const out: Arg[] = [];
    for (const entry of value as unknown[]) {
      let id: unknown;
      let fields: Arg[];
      if (Array.isArray(entry)) {
        id = entry[0];
        fields = (entry[1] as unknown[]).map(toArg);
      } else {
        const e = entry as { id: unknown; fields: Record<string, unknown> | unknown[] };
        id = e.id;
        fields = Array.isArray(e.fields) ? e.fields.map(toArg) : Object.entries(e.fields).flatMap(([k, v]) => [k, toArg(v)]);
      }
      out.push(toArg(id), String(fields.length / 2), ...fields);
    }
    return out;
  }
  throw new Error(`unsupported Redis type "${type}"`);
}
