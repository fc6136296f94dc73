import type { EntryType, KvEntry } from '../../src/sdk';

/** Redis data types that have a portable {@link KvEntry} form. Other (module) types travel as DUMP payloads only. */
export const ENTRY_TYPES: readonly string[] = ['string', 'hash', 'list', 'set', 'zset', 'stream'] satisfies EntryType[];

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
  return 0;
}

/** A flat reply `[a, b, a, b, ...]` as pairs. */
function pairs(flat: Buffer[]): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = new Array(flat.length >> 1);
  for (let i = 0; i < flat.length; i += 2) out[i >> 1] = [flat[i], flat[i + 1]];
  return out;
}

/**
 * A typed reply (GET, HGETALL/HSCAN, LRANGE, SMEMBERS/SSCAN, ZRANGE WITHSCORES/ZSCAN, XRANGE) as
 * the value of a {@link KvEntry}: string Buffer; hash `[field, value][]`; list/set `Buffer[]`;
 * zset `[member, score text][]`; stream `[id, [field, value][]][]`.
 */
export function entryValue(type: EntryType, raw: unknown): KvEntry['value'] {
  switch (type) {
    case 'string':
      return raw as Buffer;
    case 'hash':
      return pairs(raw as Buffer[]);
    case 'list':
    case 'set':
      return raw as Buffer[];
    case 'zset':
      return pairs(raw as Buffer[]).map(([m, s]) => [m, s.toString()] as [Buffer, string]);
    case 'stream':
      return (raw as [Buffer, Buffer[]][]).map(([id, fields]) => [id.toString(), pairs(fields)] as [string, [Buffer, Buffer][]]);
  }
}

type Arg = Buffer | string;

/**
 * An entry's value as the flat argument list the write script takes:
 * string: [value]; hash: field, value...; list/set: members; zset: member, score...;
 * stream: id, field count, field, value...
 */
export function flattenValue(type: EntryType, value: KvEntry['value']): Arg[] {
  switch (type) {
    case 'string':
      return [value as Buffer];
    case 'list':
    case 'set':
      return value as Buffer[];
    case 'hash':
    case 'zset':
      return (value as [Buffer, Arg][]).flat();
    case 'stream': {
      const out: Arg[] = [];
      for (const [id, fields] of value as [string, [Buffer, Buffer][]][]) out.push(id, String(fields.length), ...fields.flat());
      return out;
    }
    default:
      throw new Error(`unsupported entry type "${String(type)}"`);
  }
}
