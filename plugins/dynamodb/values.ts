/**
 * DynamoDB items <-> goshift records, numbers exact: an `N` value is never parsed into a JS number,
 * it travels as its decimal text.
 *
 * Item -> row: `S` text, `N` decimal text, `B` Buffer, `BOOL` boolean, `NULL` null; maps, lists and
 * sets as JSON text (`N` inside as bare JSON numbers with their exact digits, binary as base64
 * strings, a set as a JSON array). Row -> item: text `S` (or the key attribute's declared type),
 * JS numbers and bigints `N`, Buffers `B`, booleans `BOOL`, null `NULL`, other objects JSON text.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { JsonValue } from '../../src/sdk';

/** A DynamoDB item in the wire form. */
export type Item = Record<string, AttributeValue>;

/** Key attributes of a table: name and scalar type, partition key first. */
export type KeySchema = { name: string; type: 'S' | 'N' | 'B' }[];

/** Attribute holding the portable envelope of a key-value entry (see src/sdk/envelope.ts). */
export const ENVELOPE_ATTRIBUTE = 'goshift_envelope';

/**
 * Between two DynamoDB stores (`ctx.peerNative`) a record is `{ [NATIVE_ITEM]: item }`: the item as
 * the scan returned it, copied untouched. Any other row is mapped with {@link rowToItem}.
 */
export const NATIVE_ITEM = '$dynamodb_item';

/** Largest item DynamoDB stores (400 KB). */
export const MAX_ITEM_BYTES = 400 * 1024;

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** An attribute value as JSON text (for maps, lists and sets in a row). */
export function attributeJson(v: AttributeValue): string {
  if (v.S !== undefined) return JSON.stringify(v.S);
  if (v.N !== undefined) return v.N;
  if (v.B !== undefined) return JSON.stringify(toBuffer(v.B).toString('base64'));
  if (v.BOOL !== undefined) return v.BOOL ? 'true' : 'false';
  if (v.NULL !== undefined) return 'null';
  if (v.SS !== undefined) return `[${v.SS.map((s) => JSON.stringify(s)).join(',')}]`;
  if (v.NS !== undefined) return `[${v.NS.join(',')}]`;
  if (v.BS !== undefined) return `[${v.BS.map((b) => JSON.stringify(toBuffer(b).toString('base64'))).join(',')}]`;
  if (v.L !== undefined) return `[${v.L.map(attributeJson).join(',')}]`;
  if (v.M !== undefined) return `{${Object.entries(v.M).map(([k, x]) => `${JSON.stringify(k)}:${attributeJson(x)}`).join(',')}}`;
  throw new Error(`unsupported attribute value ${JSON.stringify(Object.keys(v))}`);
}

/** One attribute as a row value. */
export function attributeToValue(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return v.N;
  if (v.B !== undefined) return toBuffer(v.B);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  return attributeJson(v);
}

/** An item as a row (attribute -> column). */
export function itemToRow(item: Item): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) row[k] = attributeToValue(v);
  return row;
}

/** Whether a JS number fits DynamoDB's N range (38 significant digits, magnitude 1e-130 .. 1e126). */
function fitsN(n: number): boolean {
  if (!Number.isFinite(n)) return false;
  const a = Math.abs(n);
  return a === 0 || (a >= 1e-130 && a < 1e126);
}

/** One row value as an attribute; `keyType` forces a key attribute's declared type. */
export function valueToAttribute(v: unknown, keyType?: 'S' | 'N' | 'B'): AttributeValue {
  if (keyType) {
    if (keyType === 'B') return { B: Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8') };
    const text = Buffer.isBuffer(v) ? v.toString('utf8') : v instanceof Date ? v.toISOString() : String(v);
    return keyType === 'N' ? { N: text } : { S: text };
  }
  if (v === null || v === undefined) return { NULL: true };
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'bigint') return { N: v.toString() };
  if (typeof v === 'number') return fitsN(v) ? { N: String(v) } : { S: String(v) };
  if (typeof v === 'boolean') return { BOOL: v };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { B: v };
  if (v instanceof Date) return { S: v.toISOString() };
  return { S: JSON.stringify(v) };
}

/** A row as an item. Key attributes take the table's declared types. */
export function rowToItem(row: Record<string, unknown>, keys: KeySchema): Item {
  const item: Item = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === undefined) continue;
    const key = keys.find((x) => x.name === k);
    item[k] = key && v !== null ? valueToAttribute(v, key.type) : valueToAttribute(v);
  }
  return item;
}

/** UTF-8 length of a string. */
const len = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Size of one attribute value as DynamoDB counts it (close enough for the 400 KB check). */
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return len(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + len(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + valueSize({ N: s }), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + len(k) + valueSize(x), 0);
  return 0;
}

/** Size of an item as DynamoDB counts it: attribute names plus values. */
export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += len(k) + valueSize(v);
  return n;
}

/** The key attributes of an item, for messages: `id=42` or `pk="a", sk=7`. */
export function keyText(item: Item, keys: KeySchema): string {
  return keys.map((k) => `${k.name}=${item[k.name] === undefined ? '(missing)' : attributeJson(item[k.name]!)}`).join(', ');
}

/** A key (LastEvaluatedKey) as plain JSON: binary as `{"B64": "..."}`, everything else as it is. */
export function keyToJson(key: Item): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(key)) {
    if (v.B !== undefined) out[k] = { B64: toBuffer(v.B).toString('base64') };
    else out[k] = JSON.parse(JSON.stringify(v)) as JsonValue;
  }
  return out;
}

/** The key {@link keyToJson} wrote. */
export function keyFromJson(json: JsonValue): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(json as Record<string, Record<string, unknown>>)) {
    if (typeof v.B64 === 'string') out[k] = { B: Buffer.from(v.B64, 'base64') };
    else out[k] = v as unknown as AttributeValue;
  }
  return out;
}
