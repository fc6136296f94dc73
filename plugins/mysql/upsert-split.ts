import type { PoolConnection } from 'mysql2/promise';
import type { SyncRecord } from '../../src/sdk';
import { integerText, literal } from './sql';

/**
 * The target's unique key as the writer looks rows up by it: target column names (raw) and whether
 * it is one integer column (looked up by a BETWEEN range instead of an IN list).
 */
export interface TargetKey {
  columns: string[];
  integer: boolean;
  /** Quoted names of the target's FLOAT columns (compared as DOUBLE). Default: none. */
  floats?: Set<string>;
}

/** Where one upsert batch's records stand against the rows the target already holds. */
export interface UpsertSplit {
  /** Records whose key the target lacks: written by plain insert (LOAD DATA). */
  fresh: SyncRecord[];
  /** Records whose key the target holds with other values (or that could not be compared): upserted. */
  changed: SyncRecord[];
  /** Records the target already holds with exactly these values in every written column: left alone. */
  unchanged: number;
}

/** What a batch is compared through: the statement parts and where the key sits among the columns. */
export interface SplitShape {
  /** Quoted `schema`.`table` of the target. */
  table: string;
  /** Quoted target column names, in source column order. */
  targets: string[];
  /** Source column names of the batch, in order. */
  columns: string[];
  /** Index in `columns` of each key column, in key order. */
  keyIndexes: number[];
  /** The key is one integer column. */
  integerKey: boolean;
  /** Upper bound of one lookup statement's length. */
  maxBytes: number;
  /** Quoted target columns that are FLOAT (looked up as DOUBLE, as the reader reads them). Default: none. */
  floatTargets?: Set<string>;
}

/**
 * Read the target's rows for a batch's keys (on the writer's transaction connection) and sort the
 * records into fresh, changed and unchanged. Values are compared as mysql2 returns them on both
 * sides (text, Buffer, number or null): anything but an identical value counts as changed, so a
 * difference in representation only costs a write, never skips one.
 * A record whose key the server would match but the comparison does not (a case-insensitive
 * collation, trailing spaces) counts as fresh; its insert then meets a duplicate key, which the
 * writer answers by upserting the whole batch.
 */
export async function splitByTarget(conn: PoolConnection, shape: SplitShape, records: SyncRecord[]): Promise<UpsertSplit> {
  const { columns, keyIndexes } = shape;
  const rowKey = keyReader(keyIndexes);
  const held = new Map<string, unknown[]>();
  for (const sql of lookupStatements(shape, records)) {
    const [rows] = await conn.query({ sql, rowsAsArray: true });
    for (const row of rows as unknown[][]) {
      const key = rowKey(row as unknown as Record<number, unknown>);
      if (key !== undefined) held.set(key, row);
    }
  }
  // The target holds none of these keys (an empty table or key range): everything is fresh. A key
  // twice in the batch then meets itself as a duplicate, and the batch is upserted in order.
  if (held.size === 0) return { fresh: records, changed: [], unchanged: 0 };
  const recordKey = keyReader(keyIndexes.map((i) => columns[i]));
  const byKey = new Map<string, SyncRecord>();
  const changed: SyncRecord[] = [];
  for (const record of records) {
    const key = recordKey(record as Record<string | number, unknown>);
    // A key that cannot be looked up (NULL, an object), or a key twice in one batch: upsert, in order.
    if (key === undefined || byKey.has(key)) changed.push(record);
    else byKey.set(key, record);
  }
  const fresh: SyncRecord[] = [];
  let unchanged = 0;
  for (const [key, record] of byKey) {
    const row = held.get(key);
    if (!row) fresh.push(record);
    else if (sameRow(record, row, columns)) unchanged++;
    else changed.push(record);
  }
  return { fresh, changed, unchanged };
}

/**
 * The SELECTs that fetch the target rows of `records`: one BETWEEN range for a dense integer key,
 * else `key IN (...)` lists cut to `maxBytes`.
 */
export function lookupStatements(shape: SplitShape, records: SyncRecord[]): string[] {
  if (records.length === 0) return [];
  const { table, targets, columns, keyIndexes } = shape;
  // FLOAT columns as the DOUBLE they convert to exactly: the reader selects them so, and the
  // comparison needs the same representation on both sides.
  const selected = targets.map((t) => (shape.floatTargets?.has(t) ? `CAST(${t} AS DOUBLE)` : t));
  const head = `SELECT ${selected.join(',')} FROM ${table} WHERE `;
  const keyTargets = keyIndexes.map((i) => targets[i]);
  if (shape.integerKey) {
    const range = integerRange(records.map((r) => r[columns[keyIndexes[0]]]));
    // A range much wider than the batch would fetch rows the batch does not touch.
    if (range && range.max - range.min < BigInt(records.length) * 4n) return [`${head}${keyTargets[0]} BETWEEN ${range.min} AND ${range.max}`];
  }
  const lhs = keyTargets.length === 1 ? keyTargets[0] : `(${keyTargets.join(',')})`;
  const statements: string[] = [];
  let list: string[] = [];
  let size = head.length + lhs.length + 8;
  for (const record of records) {
    // Numbers go quoted: a number compared with a text key column makes the server convert every
    // row of it (no index); a quoted constant is converted once, whatever the column's type.
    const values = keyIndexes.map((i) => {
      const v = record[columns[i]];
      return literal(typeof v === 'number' ? String(v) : v);
    });
    const item = values.length === 1 ? values[0] : `(${values.join(',')})`;
    if (list.length && size + item.length + 1 > shape.maxBytes) {
      statements.push(`${head}${lhs} IN (${list.join(',')})`);
      list = [];
      size = head.length + lhs.length + 8;
    }
    list.push(item);
    size += item.length + 1;
  }
  statements.push(`${head}${lhs} IN (${list.join(',')})`);
  return statements;
}

/**
 * Smallest and largest of integer key values, or undefined when one is not plain integer text.
 * Compares as doubles while every value is a safe integer (the common case), else as BigInt.
 */
export function integerRange(values: unknown[]): { min: bigint; max: bigint } | undefined {
  let min = Infinity;
  let max = -Infinity;
  let exact = true;
  for (const v of values) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && integerText.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) return undefined;
    if (!Number.isSafeInteger(n)) exact = false;
    if (n < min) min = n;
    if (n > max) max = n;
  }
  if (values.length === 0) return undefined;
  if (exact) return { min: BigInt(min), max: BigInt(max) };
  let bigMin: bigint | undefined;
  let bigMax: bigint | undefined;
  for (const v of values) {
    const n = BigInt(v as string | number);
    if (bigMin === undefined || n < bigMin) bigMin = n;
    if (bigMax === undefined || n > bigMax) bigMax = n;
  }
  return { min: bigMin!, max: bigMax! };
}

/**
 * A function giving the map key of a row (array, by index) or record (object, by name). One key
 * column, the common case, is keyed by its value's text with no per-row array.
 */
function keyReader(at: (number | string)[]): (row: Record<string | number, unknown>) => string | undefined {
  if (at.length > 1) return (row) => keyOf(at.map((a) => row[a]));
  const only = at[0];
  return (row) => {
    const v = row[only];
    // A text key and a binary one never pair up wrongly to harm: a pair counts as unchanged only
    // when every value, the key's included, is identical in type and content.
    return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : keyOf([v]);
  };
}

/**
 * A map key for key values: text and numbers by their text (the target may return an INT key as a
 * number where the source gave text), binary by its bytes; undefined for what cannot be matched.
 */
export function keyOf(values: unknown[]): string | undefined {
  let key = '';
  for (const v of values) {
    if (typeof v === 'string') key += `s${v.length}:${v}`;
    else if (typeof v === 'number' && Number.isFinite(v)) key += `s${String(v).length}:${String(v)}`;
    else if (typeof v === 'bigint') key += `s${v.toString().length}:${v.toString()}`;
    else if (Buffer.isBuffer(v)) key += `b${v.length}:${v.toString('hex')}`;
    else return undefined;
  }
  return key;
}

/** Whether the target row holds exactly the record's values (same type and value, bytes for binary). */
export function sameRow(record: SyncRecord, row: unknown[], columns: string[]): boolean {
  for (let i = 0; i < columns.length; i++) {
    const a = record[columns[i]];
    const b = row[i];
    if (a === b) continue;
    if (a === undefined && b === null) continue;
    if (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)) continue;
    return false;
  }
  return true;
}
