/**
 * Store-neutral fingerprints of records for `goshift verify` between different stores: each record
 * becomes its key (as text) and a hash of a canonical form, normalised so that equal data read
 * from two stores hashes the same (MySQL decimal text against a DynamoDB number, bytes against
 * base64 or UTF-8 text, JSON column text against a map, a set's members in any order).
 */
import { isUtf8 } from 'node:buffer';
import crypto, { createHash } from 'node:crypto';
import type { KvEntry, ObjectRecord, RecordKind, SyncRecord } from '../sdk';
import { decodeEnvelope } from '../sdk/envelope';

/** What a compared record comes down to. */
export interface Fingerprint {
  /** Key as compared (latin1 of the key bytes for entries and objects, exact); {@link showId} displays it. */
  id: string;
  /** Hash of the canonical value (key included for rows, expiry excluded). */
  hash: string;
  /** An entry's absolute expiry (epoch ms), compared within a tolerance; null otherwise. */
  expireAt: number | null;
}

/** Number text as JS numbers print it: trailing fractional zeros dropped (`12.50` -> `12.5`, `3.0` -> `3`). */
function numberText(s: string): string {
  if (!/^-?\d+\.\d+$/.test(s)) return s;
  const t = s.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

/**
 * The canonical JSON text of one value: null and undefined alike; numbers, bigints and numeric
 * text as number text (a JSON string); bytes as UTF-8 text when they are valid UTF-8, else
 * `{"$b64": ...}`; dates as ISO text; text holding a JSON object or array as that value; object
 * keys sorted and null members left out; arrays in their order. Written straight to text (no
 * intermediate objects): it runs once per record and side.
 * @example canonicalText({ b: 12.5, a: '12.50' }) === '{"a":"12.5","b":"12.5"}'
 */
export function canonicalText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      if (jsonLike.test(v)) {
        try {
          return canonicalText(JSON.parse(v));
        } catch {
          return quote(v);
        }
      }
      return quote(numberText(v));
    case 'number':
    case 'bigint':
      return quote(numberText(String(v)));
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      return quote(String(v));
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return isUtf8(b) ? quote(numberText(b.toString('utf8'))) : `{"$b64":${quote(b.toString('base64'))}}`;
  }
  if (v instanceof Date) return quote(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonicalText).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  // An NDJSON binary value ({"$b64": ...}) is bytes.
  if (keys.length === 1 && keys[0] === '$b64' && typeof o.$b64 === 'string') return canonicalText(Buffer.from(o.$b64, 'base64'));
  let out = '';
  for (const k of keys.sort()) {
    const x = o[k];
    if (x === null || x === undefined) continue;
    out += `${out ? ',' : ''}${quote(k)}:${canonicalText(x)}`;
  }
  return `{${out}}`;
}

/** Characters JSON must escape in a string. */
const needsEscape = /["\\\u0000-\u001f]/;

/** A string as JSON text: plain text is quoted as it is (cheaper than JSON.stringify, which is kept for the rest). */
const quote = (s: string): string => (needsEscape.test(s) ? JSON.stringify(s) : `"${s}"`);

/** Text that may hold a JSON object or array. */
const jsonLike = /^\s*[[{]/;

/** One-shot `crypto.hash` (Node >= 20.12), much cheaper per call than `createHash`. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

/** sha1 of text, base64. */
const digest = (text: string): string => (oneShot ? oneShot('sha1', text, 'base64') : createHash('sha1').update(text).digest('base64'));

/** Display form of key bytes: UTF-8 text when valid, else `0x<hex>`. */
export function showBytes(b: Buffer): string {
  return isUtf8(b) ? b.toString('utf8') : `0x${b.toString('hex')}`;
}

/** Display form of one canonical key value (parsed canonical text). */
function showCanonical(c: unknown): string {
  if (c && typeof c === 'object') return '$b64' in c ? `0x${Buffer.from(String((c as { $b64: string }).$b64), 'base64').toString('hex')}` : JSON.stringify(c);
  return String(c);
}

/** How rows are compared: their key columns, and the expiry columns of an entry -> row mapping. */
export interface RowRule {
  key: string[];
  /** Left out of the hash: a remaining TTL written at copy time (`params.ttl_column`). */
  ignore?: string;
  /** Compared as the expiry, within the tolerance, not in the hash (`params.expire_at_column`). */
  expireAt?: string;
}

/**
 * A row's fingerprint: its key columns, and a hash of every non-null column (a column missing on
 * one side and NULL on the other compare equal, as sparse stores drop NULLs).
 * @throws Error naming the key column a row lacks
 */
export function rowFingerprint(row: SyncRecord, rule: RowRule): Fingerprint {
  const key = rule.key.map((k) => {
    const v = row[k];
    if (v === null || v === undefined) throw new Error(`a record has no value for key column "${k}"`);
    return canonicalText(v);
  });
  let hashed = row;
  let expireAt: number | null = null;
  if (rule.ignore || rule.expireAt) {
    hashed = { ...row };
    if (rule.ignore) delete hashed[rule.ignore];
    if (rule.expireAt) {
      const v = hashed[rule.expireAt];
      expireAt = v === null || v === undefined || v === '' ? null : Number(v);
      delete hashed[rule.expireAt];
    }
  }
  const id = `[${key.join(',')}]`;
  return { id, hash: digest(canonicalText(hashed)), expireAt };
}

/**
 * The canonical text of an entry's value, bytes exact (base64): hash fields and set members
 * sorted (their order is not defined), zset scores as number text.
 */
function entryValue(e: KvEntry): string {
  const b = (x: Buffer) => JSON.stringify(x.toString('base64'));
  const pairs = (list: [Buffer, Buffer][]) => list.map(([f, v]) => `[${b(f)},${b(v)}]`).join(',');
  switch (e.type) {
    case 'string':
      return b(e.value as Buffer);
    case 'list':
      return `[${(e.value as Buffer[]).map(b).join(',')}]`;
    case 'set':
      return `[${[...(e.value as Buffer[])].sort(Buffer.compare).map(b).join(',')}]`;
    case 'hash':
      return `[${pairs([...(e.value as [Buffer, Buffer][])].sort((x, y) => Buffer.compare(x[0], y[0])))}]`;
    case 'zset':
      return `[${[...(e.value as [Buffer, string][])].sort((x, y) => Buffer.compare(x[0], y[0])).map(([m, s]) => `[${b(m)},${JSON.stringify(numberText(s))}]`).join(',')}]`;
    default:
      return `[${(e.value as [string, [Buffer, Buffer][]][]).map(([id, fields]) => `[${JSON.stringify(id)},[${pairs(fields)}]]`).join(',')}]`;
  }
}

/** An entry's fingerprint: key bytes, a hash of type and value; the expiry apart. */
export function entryFingerprint(e: KvEntry, key: Buffer = e.key): Fingerprint {
  return { id: key.toString('latin1'), hash: digest(`[${JSON.stringify(e.type)},${entryValue(e)}]`), expireAt: e.expireAt ?? null };
}

/**
 * An object's fingerprint. An object holding an entry envelope (metadata `goshift-envelope`)
 * compares as that entry, through the key-value codec; any other object by its body and user
 * metadata (the content type is left out: stores fill it in differently).
 */
export function objectFingerprint(o: ObjectRecord): Fingerprint {
  if (o.metadata?.['goshift-envelope'] === '1') {
    try {
      return entryFingerprint(decodeEnvelope(o.body), Buffer.from(o.key, 'utf8'));
    } catch {
      // Not a readable envelope: compare it as plain bytes.
    }
  }
  const meta = Object.entries(o.metadata ?? {}).filter(([k]) => k.toLowerCase() !== 'content-type').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash('sha1').update(JSON.stringify(meta)).update('\n').update(o.body).digest('base64');
  return { id: Buffer.from(o.key, 'utf8').toString('latin1'), hash: h, expireAt: null };
}

/** The fingerprint of a record of `kind`. */
export function fingerprint(kind: RecordKind, record: SyncRecord, rule: RowRule): Fingerprint {
  if (kind === 'entry') return entryFingerprint(record as unknown as KvEntry);
  if (kind === 'object') return objectFingerprint(record as unknown as ObjectRecord);
  return rowFingerprint(record, rule);
}

/** The display form of a fingerprint id of `kind` (for keys found on one side only). */
export function showId(kind: RecordKind, id: string): string {
  if (kind === 'entry') return showBytes(Buffer.from(id, 'latin1'));
  if (kind === 'object') return Buffer.from(id, 'latin1').toString('utf8');
  return (JSON.parse(id) as unknown[]).map(showCanonical).join(',');
}

/**
 * A record of `kind` carrying only the key of a fingerprint id, for {@link WriterSession.delete}
 * (see `Batch.deletes`): row key columns, an entry's key, an object's key.
 */
export function keyRecord(kind: RecordKind, id: string, keyColumns: string[]): SyncRecord {
  const bytes = Buffer.from(id, 'latin1');
  if (kind === 'entry') return { key: bytes, type: 'string', value: Buffer.alloc(0), expireAt: null } satisfies KvEntry as unknown as SyncRecord;
  if (kind === 'object') return { key: bytes.toString('utf8'), body: Buffer.alloc(0) } satisfies ObjectRecord as unknown as SyncRecord;
  const values = JSON.parse(id) as unknown[];
  const row: SyncRecord = {};
  keyColumns.forEach((k, i) => {
    const v = values[i];
    row[k] = v && typeof v === 'object' && '$b64' in v ? Buffer.from(String((v as { $b64: string }).$b64), 'base64') : v;
  });
  return row;
}
