import type { Pool } from 'mysql2/promise';
import type { Shard } from '../../src/sdk';
import { KeyValue, toKeyValue, tupleCompare } from './sql';

/** Spec of a MySQL shard: key columns and the half-open range `[lower, upper)`; null = unbounded. */
export interface MysqlShardSpec {
  [key: string]: unknown;
  key: string[];
  lower: KeyValue[] | null;
  upper: KeyValue[] | null;
}

/** MIN and MAX of a single integer key over the rows a plan's filters select. */
export interface IntegerKeyRange {
  min: bigint;
  max: bigint;
}

/**
 * MIN and MAX of an integer key over the rows `filters` select (one query: the key's index ends,
 * or one read of the table when a filter's column has no index); undefined when no row is selected.
 */
export async function integerKeyRange(pool: Pool, table: string, key: string, filters: string[]): Promise<IntegerKeyRange | undefined> {
  const [rows] = await pool.query({ sql: `SELECT MIN(${key}), MAX(${key}) FROM ${table}${filtersSql(filters)}`, rowsAsArray: true });
  const [min, max] = (rows as unknown[][])[0];
  if (min === null || max === null) return undefined;
  return { min: BigInt(String(min)), max: BigInt(String(max)) };
}

/**
 * Split a table into key ranges of about `shardRows` rows. A dense single integer key is cut by
 * arithmetic; any other key by walking its index (each boundary is the key `shardRows` rows after
 * the previous one), so gaps in ids never make empty shards and string or composite keys work the
 * same way. An empty table gives `[]`; a table without a key gives one shard read in one pass.
 * `opts.filters` (`params.where`, the incremental watermark) decide whether any row is selected;
 * `opts.integerRange` (a single integer key's {@link integerKeyRange} under those filters) narrows
 * the arithmetic cut to the span of the selected rows. The first and last shards stay open-ended,
 * so rows outside that span are still read.
 *
 * @param table already-quoted `schema`.`table`
 * @param key already-quoted key columns (raw names in `keyNames`)
 */
export async function planKeyRanges(
  pool: Pool,
  table: string,
  key: string[],
  keyNames: string[],
  shardRows: number,
  signal: AbortSignal,
  opts: { estimatedRows: number; filters?: string[]; integerRange?: IntegerKeyRange } = { estimatedRows: 0 },
): Promise<Shard[]> {
  if (!opts.integerRange) {
    const [first] = await pool.query({ sql: `SELECT 1 FROM ${table}${filtersSql(opts.filters ?? [])} LIMIT 1`, rowsAsArray: true });
    if ((first as unknown[]).length === 0) return [];
  }
  if (key.length === 0) return [{ id: 'all', label: 'whole table (no usable key)', spec: { key: [], lower: null, upper: null } }];
  const dense = opts.integerRange && denseIntegerBounds(opts.integerRange, shardRows, opts.estimatedRows);
  const bounds = dense || (await walkIndexBounds(pool, table, key, shardRows, signal));
  const shards: Shard[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const spec: MysqlShardSpec = { key: keyNames, lower: i === 0 ? null : bounds[i - 1], upper: i === bounds.length ? null : bounds[i] };
    shards.push({ id: `r${i}`, label: describeRange(keyNames, spec), estimatedRows: shardRows, spec });
  }
  return shards;
}

/**
 * A single integer key whose ids are dense (max - min + 1 at most twice the estimated row count):
 * boundaries every `shardRows` ids of its range, no index walk step per shard (a 100M-row table
 * plans in milliseconds). Sparse keys return undefined and are walked.
 */
function denseIntegerBounds(range: IntegerKeyRange, shardRows: number, estimatedRows: number): KeyValue[][] | undefined {
  if (estimatedRows <= 0) return undefined;
  if (range.max - range.min + 1n > 2n * BigInt(estimatedRows)) return undefined;
  const bounds: KeyValue[][] = [];
  for (let b = range.min + BigInt(shardRows); b <= range.max; b += BigInt(shardRows)) bounds.push([b.toString()]);
  return bounds;
}

/** Boundaries every `shardRows` rows, found by walking the key's index (gaps and any key type). */
async function walkIndexBounds(pool: Pool, table: string, key: string[], shardRows: number, signal: AbortSignal): Promise<KeyValue[][]> {
  const cols = key.join(', ');
  const bounds: KeyValue[][] = [];
  let lower: KeyValue[] | null = null;
  for (;;) {
    if (signal.aborted) break;
    const where: string = lower ? `WHERE ${tupleCompare(key, '>=', lower)}` : '';
    const [rows]: [unknown, unknown] = await pool.query({ sql: `SELECT ${cols} FROM ${table} ${where} ORDER BY ${cols} LIMIT 1 OFFSET ${shardRows}`, rowsAsArray: true });
    const row: unknown[] | undefined = (rows as unknown[][])[0];
    if (!row) break;
    const bound = row.map(toKeyValue);
    bounds.push(bound);
    lower = bound;
  }
  return bounds;
}

/** ` WHERE a AND b` of a plan's filters, or nothing. */
export function filtersSql(filters: string[]): string {
  return filters.length ? ` WHERE ${filters.join(' AND ')}` : '';
}

function describeRange(keyNames: string[], spec: MysqlShardSpec): string {
  const show = (v: KeyValue[] | null, open: string) => (v ? v.map((x) => (x && typeof x === 'object' ? `0x${x.$hex}` : String(x))).join(',') : open);
  return `(${keyNames.join(',')}) in [${show(spec.lower, '-inf')}, ${show(spec.upper, '+inf')})`;
}
