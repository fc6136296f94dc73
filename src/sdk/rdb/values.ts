/**
 * One RDB value: step over it (dump only) or decode it into the store-neutral value of a
 * {@link KvEntry}, as the SCAN reader makes it (zset scores as shortest round-trip text).
 */
import type { KvEntry } from '../records';
import { Cursor, RdbFormatError } from './cursor';
import { intsetEntries, listpackEntries, ziplistEntries, zipmapEntries } from './encodings';
import { readStream } from './stream';
import { T } from './types';

/** What decoding one value gave. */
export interface DecodedValue {
  value: KvEntry['value'];
  /** True when some hash field carries its own TTL (Redis 7.4), which a KvEntry cannot hold. */
  fieldTtls: boolean;
}

const EMPTY: Buffer[] = [];

/**
 * A zset score as text that parses back to the same double: shortest round-trip digits,
 * `inf`/`-inf` for the infinities, `-0` kept.
 * @example scoreText(1.1) === '1.1'
 */
export function scoreText(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0 && Object.is(d, -0)) return '-0';
  return String(d);
}

/** A score stored as text (ziplist/listpack element) normalized through its double. */
function scoreOfText(b: Buffer): string {
  const s = b.toString('latin1').toLowerCase();
  if (s === 'inf' || s === '+inf' || s === 'infinity' || s === '+infinity') return 'inf';
  if (s === '-inf' || s === '-infinity') return '-inf';
  const d = Number(s);
  if (Number.isNaN(d)) throw new RdbFormatError(`zset score "${s}" is not a number`);
  return scoreText(d);
}

function pairs(flat: Buffer[]): [Buffer, Buffer][] {
  if (flat.length % 2) throw new RdbFormatError('odd number of elements in a hash or zset');
  const out: [Buffer, Buffer][] = new Array(flat.length >> 1);
  for (let i = 0; i < flat.length; i += 2) out[i >> 1] = [flat[i], flat[i + 1]];
  return out;
}

function zsetPairs(flat: Buffer[]): [Buffer, string][] {
  if (flat.length % 2) throw new RdbFormatError('odd number of elements in a zset');
  const out: [Buffer, string][] = new Array(flat.length >> 1);
  for (let i = 0; i < flat.length; i += 2) out[i >> 1] = [flat[i], scoreOfText(flat[i + 1])];
  return out;
}

/** Strings, `n` of them (`each` strings per element group), decoded or skipped. */
function strings(c: Cursor, n: number, decode: boolean): Buffer[] {
  if (!decode) {
    for (let i = 0; i < n; i++) c.skipString();
    return EMPTY;
  }
  const out: Buffer[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = c.string();
  return out;
}

/** One string holding a compact encoding, decoded by `fn` or skipped. */
function blob(c: Cursor, decode: boolean, fn: (b: Buffer) => Buffer[]): Buffer[] {
  if (!decode) {
    c.skipString();
    return EMPTY;
  }
  return fn(c.string());
}

/**
 * Read the value of RDB type `rdbType` at `c`. With `decode` false only the cursor moves and the
 * value is empty.
 * @throws RdbFormatError on a type this parser does not know or corrupt data
 */
export function readValue(c: Cursor, rdbType: number, decode: boolean): DecodedValue {
  let fieldTtls = false;
  const done = (value: KvEntry['value']): DecodedValue => ({ value, fieldTtls });
  switch (rdbType) {
    case T.STRING:
      if (!decode) {
        c.skipString();
        return done(Buffer.alloc(0));
      }
      return done(c.string());
    case T.LIST:
    case T.SET:
      return done(strings(c, c.len(), decode));
    case T.ZSET:
    case T.ZSET_2: {
      const n = c.len();
      const scored: [Buffer, number][] = decode ? new Array(n) : [];
      for (let i = 0; i < n; i++) {
        if (!decode) {
          c.skipString();
          if (rdbType === T.ZSET_2) c.skip(8);
          else c.textDouble();
          continue;
        }
        const member = c.string();
        scored[i] = [member, rdbType === T.ZSET_2 ? c.f64le() : c.textDouble()];
      }
      // Skiplists are saved from the greatest score down (older files in hash order): ZRANGE order.
      scored.sort((a, b) => a[1] - b[1] || (a[1] === b[1] ? Buffer.compare(a[0], b[0]) : 0));
      return done(scored.map(([m, d]) => [m, scoreText(d)] as [Buffer, string]));
    }
    case T.HASH:
      return done(decode ? pairs(strings(c, c.len() * 2, true)) : (strings(c, c.len() * 2, false), []));
    case T.HASH_ZIPMAP:
      return done(decode ? pairs(blob(c, true, zipmapEntries)) : (c.skipString(), []));
    case T.LIST_ZIPLIST:
      return done(blob(c, decode, ziplistEntries));
    case T.SET_INTSET:
      return done(blob(c, decode, intsetEntries));
    case T.SET_LISTPACK:
      return done(blob(c, decode, listpackEntries));
    case T.ZSET_ZIPLIST:
      return done(decode ? zsetPairs(blob(c, true, ziplistEntries)) : (c.skipString(), []));
    case T.ZSET_LISTPACK:
      return done(decode ? zsetPairs(blob(c, true, listpackEntries)) : (c.skipString(), []));
    case T.HASH_ZIPLIST:
      return done(decode ? pairs(blob(c, true, ziplistEntries)) : (c.skipString(), []));
    case T.HASH_LISTPACK:
      return done(decode ? pairs(blob(c, true, listpackEntries)) : (c.skipString(), []));
    case T.LIST_QUICKLIST: {
      const nodes = c.len();
      const out: Buffer[] = [];
      for (let i = 0; i < nodes; i++) for (const e of blob(c, decode, ziplistEntries)) out.push(e);
      return done(out);
    }
    case T.LIST_QUICKLIST_2: {
      const nodes = c.len();
      const out: Buffer[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = c.len();
        if (container === 1) {
          // PLAIN node: one big element as it is.
          if (decode) out.push(c.string());
          else c.skipString();
        } else if (container === 2) {
          for (const e of blob(c, decode, listpackEntries)) out.push(e);
        } else throw new RdbFormatError(`unknown quicklist node container ${container}`);
      }
      return done(out);
    }
    case T.HASH_METADATA_PRE_GA:
    case T.HASH_METADATA: {
      if (rdbType === T.HASH_METADATA) c.i64le(); // min expiry of the fields
      const n = c.len();
      const out: [Buffer, Buffer][] = [];
      for (let i = 0; i < n; i++) {
        if (c.len() !== 0) fieldTtls = true;
        if (decode) out.push([c.string(), c.string()]);
        else {
          c.skipString();
          c.skipString();
        }
      }
      return done(out);
    }
    case T.HASH_LISTPACK_EX_PRE_GA:
    case T.HASH_LISTPACK_EX: {
      if (rdbType === T.HASH_LISTPACK_EX) c.i64le();
      // Triples field, value, ttl (absolute ms, 0 = none); the TTLs must be looked at even for dump only.
      const flat = listpackEntries(c.string());
      if (flat.length % 3) throw new RdbFormatError('hash listpack with TTLs is not made of triples');
      const out: [Buffer, Buffer][] = [];
      for (let i = 0; i < flat.length; i += 3) {
        if (flat[i + 2].toString() !== '0') fieldTtls = true;
        if (decode) out.push([flat[i], flat[i + 1]]);
      }
      return done(out);
    }
    case T.STREAM_LISTPACKS:
    case T.STREAM_LISTPACKS_2:
    case T.STREAM_LISTPACKS_3:
      return done(readStream(c, rdbType, decode));
    default:
      throw new RdbFormatError(`unknown value type ${rdbType}`);
  }
}

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The 9-letter module name and encoding version packed in a 64-bit module id. */
export function moduleName(id: bigint): string {
  let name = '';
  for (let j = 0; j < 9; j++) name += MODULE_CHARSET[Number((id >> BigInt(64 - (j + 1) * 6)) & 63n)];
  return `${name}/${Number(id & 1023n)}`;
}

/** A module id: a 64-bit RDB length. */
export function readModuleId(c: Cursor): bigint {
  c.need(1);
  const b = c.buf[c.pos];
  if (b === 0x81) {
    c.skip(1);
    c.need(8);
    const v = c.buf.readBigUInt64BE(c.pos);
    c.skip(8);
    return v;
  }
  return BigInt(c.len());
}

/** Step over the annotated body of a module value (opcodes until the EOF opcode 0). */
export function skipModuleBody(c: Cursor): void {
  for (;;) {
    const op = c.len();
    switch (op) {
      case 0:
        return;
      case 1:
      case 2:
        readModuleId(c);
        break;
      case 3:
        c.skip(4);
        break;
      case 4:
        c.skip(8);
        break;
      case 5:
        c.skipString();
        break;
      default:
        throw new RdbFormatError(`unknown module value opcode ${op}`);
    }
  }
}
