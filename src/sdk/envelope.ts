/**
 * The portable envelope of a key-value entry: one JSON document that any store can carry (an S3
 * object body, a DynamoDB item, a MySQL JSON column, one line of a file) and that restores the
 * entry exactly: binary keys, fields and values, its type, and its absolute expiry.
 *
 * @example
 * {"v":1,"key":"user:1","type":"hash","value":[["name","Ann"],["raw",{"b64":"AP8="}]],"expireAt":1767225600000}
 */
import type { EntryType, KvEntry } from './records';
import { decodeBytes, encodeBytes, JsonBytes } from './binary';
import { isExpired } from './expiry';

/** Version of the envelope format, written as `v`. */
export const ENVELOPE_VERSION = 1;

/** The entry types an envelope can hold. */
export const ENTRY_TYPES: readonly EntryType[] = ['string', 'hash', 'list', 'set', 'zset', 'stream'];

/**
 * One entry as plain JSON. Bytes are {@link JsonBytes} (a string when valid UTF-8, else
 * `{"b64": ...}`). `value` by type: string `bytes`; hash `[[field, value], ...]`; list and set
 * `[member, ...]` (list in order); zset `[[member, "score"], ...]` with the score as exact text
 * (`"1.5"`, `"inf"`, `"9007199254740993"`); stream `[["id", [[field, value], ...]], ...]`.
 * `expireAt` is the absolute expiry in epoch ms, or null.
 */
export interface KvEnvelope {
  v: typeof ENVELOPE_VERSION;
  key: JsonBytes;
  type: EntryType;
  value: JsonBytes | JsonBytes[] | [JsonBytes, JsonBytes][] | [JsonBytes, string][] | [string, [JsonBytes, JsonBytes][]][];
  expireAt: number | null;
}

const pairsOut = (pairs: [Buffer, Buffer][]): [JsonBytes, JsonBytes][] => pairs.map(([a, b]) => [encodeBytes(a), encodeBytes(b)]);

/**
 * The envelope of an entry.
 * @throws Error when the entry carries only a native payload or is one page of a chunked key
 */
export function toEnvelope(entry: KvEntry): KvEnvelope {
  if (entry.native) throw new Error(`entry ${entry.key.toString()} carries a store-native payload, which has no portable envelope`);
  if (entry.chunk) throw new Error(`entry ${entry.key.toString()} is one page of a chunked key, which has no portable envelope`);
  let value: KvEnvelope['value'];
  switch (entry.type) {
    case 'string': value = encodeBytes(entry.value as Buffer); break;
    case 'list':
    case 'set': value = (entry.value as Buffer[]).map(encodeBytes); break;
    case 'hash': value = pairsOut(entry.value as [Buffer, Buffer][]); break;
    case 'zset': value = (entry.value as [Buffer, string][]).map(([m, s]) => [encodeBytes(m), s]); break;
    case 'stream': value = (entry.value as [string, [Buffer, Buffer][]][]).map(([id, fields]) => [id, pairsOut(fields)]); break;
    default: throw new Error(`entry ${entry.key.toString()}: unknown type ${JSON.stringify(entry.type)}`);
  }
  return { v: ENVELOPE_VERSION, key: encodeBytes(entry.key), type: entry.type, value, expireAt: entry.expireAt };
}

/** The envelope of an entry as one line of JSON text. */
export function encodeEnvelope(entry: KvEntry): string {
  return JSON.stringify(toEnvelope(entry));
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list, got ${JSON.stringify(value)?.slice(0, 80)}`);
  return value;
}

function pair(value: unknown, where: string): [unknown, unknown] {
  const p = list(value, where);
  if (p.length !== 2) throw new Error(`${where} must be a [first, second] pair, got ${JSON.stringify(value)?.slice(0, 80)}`);
  return p as [unknown, unknown];
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where} must be a string, got ${JSON.stringify(value)?.slice(0, 80)}`);
  return value;
}

function pairsIn(value: unknown, where: string): [Buffer, Buffer][] {
  return list(value, where).map((p, i) => {
    const [a, b] = pair(p, `${where}[${i}]`);
    return [decodeBytes(a, `${where}[${i}][0]`), decodeBytes(b, `${where}[${i}][1]`)];
  });
}

/**
 * The entry an envelope holds (expired or not).
 * @throws Error naming the member that does not fit the format
 */
export function fromEnvelope(doc: unknown): KvEntry {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`envelope must be a JSON object, got ${JSON.stringify(doc)?.slice(0, 80)}`);
  const d = doc as Record<string, unknown>;
  if (d.v !== ENVELOPE_VERSION) throw new Error(`envelope.v must be ${ENVELOPE_VERSION}, got ${JSON.stringify(d.v)}`);
  const type = d.type as EntryType;
  if (!ENTRY_TYPES.includes(type)) throw new Error(`envelope.type must be one of ${ENTRY_TYPES.join(', ')}, got ${JSON.stringify(d.type)}`);
  if (d.expireAt !== null && !Number.isSafeInteger(d.expireAt)) throw new Error(`envelope.expireAt must be epoch milliseconds or null, got ${JSON.stringify(d.expireAt)}`);
  const key = decodeBytes(d.key, 'envelope.key');
  const w = 'envelope.value';
  let value: KvEntry['value'];
  switch (type) {
    case 'string': value = decodeBytes(d.value, w); break;
    case 'list':
    case 'set': value = list(d.value, w).map((m, i) => decodeBytes(m, `${w}[${i}]`)); break;
    case 'hash': value = pairsIn(d.value, w); break;
    case 'zset': value = list(d.value, w).map((p, i) => {
      const [m, s] = pair(p, `${w}[${i}]`);
      return [decodeBytes(m, `${w}[${i}][0]`), text(s, `${w}[${i}][1]`)] as [Buffer, string];
    }); break;
    case 'stream': value = list(d.value, w).map((p, i) => {
      const [id, fields] = pair(p, `${w}[${i}]`);
      return [text(id, `${w}[${i}][0]`), pairsIn(fields, `${w}[${i}][1]`)] as [string, [Buffer, Buffer][]];
    }); break;
  }
  return { key, type, value, expireAt: d.expireAt as number | null };
}

/** The entry of one line (or object body) of envelope JSON text. */
export function decodeEnvelope(json: string | Buffer): KvEntry {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.isBuffer(json) ? json.toString('utf8') : json);
  } catch (err) {
    throw new Error(`envelope is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return fromEnvelope(doc);
}

/**
 * Restore entries from envelopes: an entry whose expiry has passed at `now` is skipped and counted,
 * so a restore made later grants only the time left and never revives an expired key.
 */
export function restoreEntries(docs: unknown[], now: number = Date.now()): { entries: KvEntry[]; skipped: number } {
  const entries: KvEntry[] = [];
  let skipped = 0;
  for (const doc of docs) {
    const entry = fromEnvelope(doc);
    if (isExpired(entry, now)) skipped++;
    else entries.push(entry);
  }
  return { entries, skipped };
}
