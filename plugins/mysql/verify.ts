import type { Pool } from 'mysql2/promise';
import type { PluginContext, VerifyFactory, VerifyOptions, VerifyReport } from '../../src/sdk';
import { mappedColumn, TaskError, WriteError } from '../../src/sdk';
import type { MysqlConnection } from './config';
import { openPool } from './connection';
import { mysqlReader, sourceShape, SourceShape } from './reader';
import type { MysqlShardSpec } from './split';
import { KeyValue, literal, qualifiedTable, quoteIdent, toKeyValue, tupleCompare } from './sql';

/**
 * A range holding at most this many rows (on the larger side) is compared row by row (keys and
 * per-row CRC32 from both servers); a larger differing range is halved by key first.
 */
export const leafRows = 2000;

/** Keys per statement when repairing or rechecking keys. */
const keyBatch = 500;

/** One side of the comparison: its table, key and hashed columns, and its own filters. */
interface Side {
  pool: Pool;
  table: string;
  /** Quoted key columns, in the order of the source key. */
  key: string[];
  /** Quoted compared columns, in the order of the source columns (target names on the target). */
  columns: string[];
  /** Extra conditions of this side (`params.where` on the source; none on the target). */
  where: string[];
}

type Key = KeyValue[];

interface Diffs {
  missing: Key[];
  extra: Key[];
  different: Key[];
}

/**
 * Row hash computed in the server, in the style of pt-table-checksum: every compared column with a
 * NULL marker, joined by '#', through CRC32.
 */
function rowHash(columns: string[]): string {
  return `CRC32(CONCAT_WS('#', ${columns.map((c) => `ISNULL(${c}), ${c}`).join(', ')}))`;
}

function rangeFilters(side: Side, lower: Key | null, upper: Key | null): string[] {
  const f = [...side.where];
  if (lower) f.push(tupleCompare(side.key, '>=', lower));
  if (upper) f.push(tupleCompare(side.key, '<', upper));
  return f;
}

const whereSql = (filters: string[]) => (filters.length ? ` WHERE ${filters.join(' AND ')}` : '');

/** `k IN (...)` or `(a, b) IN ((...), (...))` for a list of keys. */
function keyIn(key: string[], keys: Key[]): string {
  if (key.length === 1) return `${key[0]} IN (${keys.map((k) => literal(k[0])).join(', ')})`;
  return `(${key.join(', ')}) IN (${keys.map((k) => `(${k.map(literal).join(', ')})`).join(', ')})`;
}

/** Display form of a key: `42`, `a,7`, `0xff00`. */
export function showKey(k: Key): string {
  return k.map((v) => (v && typeof v === 'object' ? `0x${v.$hex}` : String(v))).join(',');
}

const keyId = (k: Key) => JSON.stringify(k);

async function sums(side: Side, filters: string[]): Promise<{ n: number; x: string }> {
  const [rows] = await side.pool.query({ sql: `SELECT COUNT(*), COALESCE(BIT_XOR(${rowHash(side.columns)}), 0) FROM ${side.table}${whereSql(filters)}`, rowsAsArray: true });
  const [n, x] = (rows as unknown[][])[0];
  return { n: Number(n), x: String(x) };
}

/** key id -> [key, row hash] for the rows of a side matching `filters`. */
async function rowHashes(side: Side, filters: string[]): Promise<Map<string, [Key, string]>> {
  const [rows] = await side.pool.query({ sql: `SELECT ${side.key.join(', ')}, ${rowHash(side.columns)} FROM ${side.table}${whereSql(filters)}`, rowsAsArray: true });
  const out = new Map<string, [Key, string]>();
  for (const r of rows as unknown[][]) {
    const k = r.slice(0, side.key.length).map(toKeyValue);
    out.set(keyId(k), [k, String(r[side.key.length])]);
  }
  return out;
}

/** Compare two row-hash maps, adding what differs to `diffs`. */
function compareRows(src: Map<string, [Key, string]>, dst: Map<string, [Key, string]>, diffs: Diffs): void {
  for (const [id, [k, h]] of src) {
    const t = dst.get(id);
    if (!t) diffs.missing.push(k);
    else if (t[1] !== h) diffs.different.push(k);
  }
  for (const [id, [k]] of dst) if (!src.has(id)) diffs.extra.push(k);
}

/** The key `offset` rows into a range of a side (the split point of a differing range). */
async function keyAt(side: Side, filters: string[], offset: number): Promise<Key> {
  const cols = side.key.join(', ');
  const [rows] = await side.pool.query({ sql: `SELECT ${cols} FROM ${side.table}${whereSql(filters)} ORDER BY ${cols} LIMIT 1 OFFSET ${offset}`, rowsAsArray: true });
  return (rows as unknown[][])[0].map(toKeyValue);
}

/**
 * Check one key range `[lower, upper)` on both sides; a differing range is halved by the key at the
 * middle of its larger side until it is small enough to compare row by row.
 * @returns the source and target row counts of the range and whether it was equal
 */
async function checkRange(src: Side, dst: Side, lower: Key | null, upper: Key | null, diffs: Diffs, signal: AbortSignal, known?: [{ n: number; x: string }, { n: number; x: string }]): Promise<{ s: number; t: number; equal: boolean }> {
  const sf = rangeFilters(src, lower, upper);
  const tf = rangeFilters(dst, lower, upper);
  const [s, t] = known ?? (await Promise.all([sums(src, sf), sums(dst, tf)]));
  if (s.n === t.n && s.x === t.x) return { s: s.n, t: t.n, equal: true };
  if (signal.aborted) throw signal.reason ?? new Error('verify aborted');
  if (Math.max(s.n, t.n) <= leafRows) {
    const [sr, tr] = await Promise.all([rowHashes(src, sf), rowHashes(dst, tf)]);
    compareRows(sr, tr, diffs);
    return { s: s.n, t: t.n, equal: false };
  }
  const mid = s.n >= t.n ? await keyAt(src, sf, Math.floor(s.n / 2)) : await keyAt(dst, tf, Math.floor(t.n / 2));
  await checkRange(src, dst, lower, mid, diffs, signal);
  await checkRange(src, dst, mid, upper, diffs, signal);
  return { s: s.n, t: t.n, equal: false };
}

/** Run `fn` over `items` with at most `limit` in flight (plain promises, in the main process). */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Re-copy `keys` from the source (upsert with the task's column mapping) and, when asked, delete
 * `extra` from the target. Reads the source only.
 */
async function repair(src: Side, dst: Side, shape: SourceShape, ctx: PluginContext, diffs: Diffs, deleteExtra: boolean): Promise<{ copied: number; deleted: number }> {
  const targetCols = shape.columns.map((c) => quoteIdent(mappedColumn(ctx.params, c), 'target column'));
  const keySet = new Set(dst.key);
  const updates = targetCols.filter((c) => !keySet.has(c)).map((c) => `${c} = VALUES(${c})`);
  let copied = 0;
  let deleted = 0;
  for (const batch of chunks([...diffs.missing, ...diffs.different], keyBatch)) {
    const [rows] = await src.pool.query({ sql: `SELECT ${shape.select} FROM ${src.table}${whereSql([...src.where, keyIn(src.key, batch)])}`, rowsAsArray: true });
    const values = (rows as unknown[][]).map((r) => `(${r.map(literal).join(', ')})`);
    if (!values.length) continue;
    const onDup = updates.length ? ` ON DUPLICATE KEY UPDATE ${updates.join(', ')}` : ` ON DUPLICATE KEY UPDATE ${targetCols[0]} = ${targetCols[0]}`;
    await dst.pool.query(`INSERT INTO ${dst.table} (${targetCols.join(', ')}) VALUES ${values.join(', ')}${onDup}`);
    copied += values.length;
  }
  if (deleteExtra) {
    for (const batch of chunks(diffs.extra, keyBatch)) {
      const [res] = await dst.pool.query(`DELETE FROM ${dst.table} WHERE ${keyIn(dst.key, batch)}`);
      deleted += (res as { affectedRows: number }).affectedRows;
    }
  }
  return { copied, deleted };
}

/** Compare only `keys` on both sides, row by row. */
async function recheck(src: Side, dst: Side, keys: Key[]): Promise<Diffs> {
  const diffs: Diffs = { missing: [], extra: [], different: [] };
  for (const batch of chunks(keys, keyBatch)) {
    const [sr, tr] = await Promise.all([rowHashes(src, [...src.where, keyIn(src.key, batch)]), rowHashes(dst, [keyIn(dst.key, batch)])]);
    compareRows(sr, tr, diffs);
  }
  return diffs;
}

/**
 * mysql -> mysql verify: checksums of the source plan's key ranges computed in both servers
 * (`COUNT(*)` and `BIT_XOR` of a per-row CRC32 over the mapped columns); differing ranges are split
 * until the differing keys are known. The ranges are checked in the main process, at most
 * `concurrency` at once.
 */
export const mysqlVerify: VerifyFactory = {
  async verify(sctx, tctx, opts: VerifyOptions): Promise<VerifyReport> {
    const { task, params } = sctx;
    const srcPool = await openPool(sctx.connection as unknown as MysqlConnection, sctx, 'from', opts.concurrency);
    let dstPool: Pool | undefined;
    try {
      dstPool = await openPool(tctx.connection as unknown as MysqlConnection, tctx, 'to', opts.concurrency);
      const shape = await sourceShape(srcPool, sctx);
      if (shape.key.length === 0) throw new TaskError(`task ${task.id}: verify needs a key (params.pk.src or a primary/unique key on ${task.from_db}.${task.from_table})`);
      const src: Side = { pool: srcPool, table: shape.table, key: shape.keyQuoted, columns: shape.columns.map((c) => quoteIdent(c, 'column')), where: params.where ? [`(${params.where})`] : [] };
      const dst: Side = {
        pool: dstPool,
        table: qualifiedTable(task.to_db, task.to_table, `task ${task.id} target`),
        key: shape.key.map((k) => quoteIdent(mappedColumn(params, k), 'target key column')),
        columns: shape.columns.map((c) => quoteIdent(mappedColumn(params, c), 'target column')),
        where: [],
      };
      try {
        await dstPool.query(`SELECT ${[...dst.key, ...dst.columns].join(', ')} FROM ${dst.table} LIMIT 0`);
      } catch (err) {
        throw new WriteError(`task ${task.id}: cannot verify against target ${task.to_db}.${task.to_table}: ${(err as Error).message}`, { cause: err });
      }
      const shards = await mysqlReader.plan(sctx);
      // An empty source plans no shard; the whole key space is still one range to check.
      const ranges = shards.length ? shards.map((s) => s.spec as MysqlShardSpec) : [{ key: shape.key, lower: null, upper: null }];
      const diffs: Diffs = { missing: [], extra: [], different: [] };
      let equal = 0;
      let sourceRows = 0;
      let targetRows = 0;
      await eachLimited(ranges, opts.concurrency, async (r) => {
        const res = await checkRange(src, dst, r.lower, r.upper, diffs, opts.signal);
        if (res.equal) equal++;
        sourceRows += res.s;
        targetRows += res.t;
      });
      const report: VerifyReport = {
        unit: 'ranges', checked: ranges.length, equal, differing: ranges.length - equal, sourceRows, targetRows,
        missing: diffs.missing.map(showKey), extra: diffs.extra.map(showKey), different: diffs.different.map(showKey),
      };
      if (opts.repair && ranges.length !== equal) {
        const done = await repair(src, dst, shape, sctx, diffs, opts.deleteExtra);
        const again = await recheck(src, dst, [...diffs.missing, ...diffs.different, ...diffs.extra]);
        report.repair = {
          ...done,
          rechecked: diffs.missing.length + diffs.different.length + diffs.extra.length,
          stillDiffering: [...again.missing, ...again.different, ...again.extra].map(showKey),
        };
      }
      return report;
    } finally {
      await srcPool.end();
      await dstPool?.end();
    }
  },
};
