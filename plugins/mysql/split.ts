import type { Pool } from 'mysql2/promise';
import type { Shard } from '../../src/contract';
import { KeyValue, toKeyValue, tupleCompare } from './sql';

/** Spec of a MySQL shard: key columns and the half-open range `[lower, upper)`; null = unbounded. */
export interface MysqlShardSpec {
  [key: string]: unknown;
  key: string[];
  lower: KeyValue[] | null;
  upper: KeyValue[] | null;
}

/**
 * Split a table into key ranges of about `shardRows` rows by walking the key's index: each
 * boundary is the key `shardRows` rows after the previous one. Gaps in ids cost nothing (every
 * shard holds rows), and string or composite keys work the same way. An empty table gives `[]`;
 * a table without a key gives one shard read in a single ordered pass.
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
): Promise<Shard[]> {
  const [first] = await pool.query({ sql: `SELECT 1 FROM ${table} LIMIT 1`, rowsAsArray: true });
  if ((first as unknown[]).length === 0) return [];
  if (key.length === 0) return [{ id: 'all', label: 'whole table (no usable key)', spec: { key: [], lower: null, upper: null } }];
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
  const shards: Shard[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const spec: MysqlShardSpec = { key: keyNames, lower: i === 0 ? null : bounds[i - 1], upper: i === bounds.length ? null : bounds[i] };
    shards.push({ id: `r${i}`, label: describeRange(keyNames, spec), estimatedRows: shardRows, spec });
  }
  return shards;
}

function describeRange(keyNames: string[], spec: MysqlShardSpec): string {
  const show = (v: KeyValue[] | null, open: string) => (v ? v.map((x) => (x && typeof x === 'object' ? `0x${x.$hex}` : String(x))).join(',') : open);
  return `(${keyNames.join(',')}) in [${show(spec.lower, '-inf')}, ${show(spec.upper, '+inf')})`;
}
