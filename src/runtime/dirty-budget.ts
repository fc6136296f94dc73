/**
 * Dirty records (`params.error_limit`): records the target refused for their data, skipped under a
 * budget. Worker threads store each one in the reject store (`goshift_dirty`, see
 * src/meta/dirty-store.ts) as soon as it is found; the main thread checks the run's count against
 * the limit and points to `goshift dirty` in its lines.
 */
import type { JsonValue, RecordKind, SyncRecord } from '../sdk';
import { sourceKeyColumns, TaskParams } from '../sdk';
import { encodeBytes } from '../sdk/binary';
import type { DirtyBudget, DirtyRecord } from './shard-runner';

/** The run's error limit, or undefined when it allows none (a refused batch fails the run, the default). */
export interface ErrorLimits {
  /** `error_limit.records`, or Infinity when only a percent is set. */
  records: number;
  /** `error_limit.percent` (0..100 of the records read), or 0 when unset. */
  percent: number;
}

/** `params.error_limit` as limits; undefined when both are 0 (the default). */
export function errorLimits(params: TaskParams): ErrorLimits | undefined {
  const records = Number(params.error_limit?.records ?? 0);
  const percent = Number(params.error_limit?.percent ?? 0);
  if (records <= 0 && percent <= 0) return undefined;
  return { records: records > 0 ? records : Infinity, percent: percent > 0 ? percent : 0 };
}

/** The limits as params spell them: `params.error_limit.records 10, params.error_limit.percent 0.5`. */
export function limitsText(limits: ErrorLimits): string {
  return [
    limits.records < Infinity ? `params.error_limit.records ${limits.records}` : '',
    limits.percent ? `params.error_limit.percent ${limits.percent}` : '',
  ].filter(Boolean).join(', ');
}

/** The command that lists a task's dirty records. */
export function dirtyCommand(env: string, taskId: number): string {
  return `goshift dirty -e ${env} -id ${taskId}`;
}

/**
 * The one line a run fails with when its dirty records exceed a limit, or undefined within them.
 * The percent is of the records read so far (the main thread checks it when the copy ends).
 * @example 'task 5: 12 dirty records exceed params.error_limit.records 10; list them with goshift dirty -e prod -id 5'
 */
export function dirtyLimitLine(taskId: number, limits: ErrorLimits, dirty: number, read: number, env: string): string | undefined {
  const see = `; list them with ${dirtyCommand(env, taskId)}`;
  if (dirty > limits.records) return `task ${taskId}: ${dirty} dirty records exceed params.error_limit.records ${limits.records}${see}`;
  if (limits.percent > 0 && read > 0 && (100 * dirty) / read > limits.percent) {
    return `task ${taskId}: ${dirty} dirty records of ${read} read (${((100 * dirty) / read).toFixed(2)}%) exceed params.error_limit.percent ${limits.percent}${see}`;
  }
  return undefined;
}

/**
 * A worker's budget: keys from `pk.src` (rows) or the record's own key (entries, objects), each
 * dirty record handed to `store` (the reject store) before the shard goes on.
 */
export function dirtyBudget(params: TaskParams, taskId: number, limits: ErrorLimits, env: string, store: (found: DirtyRecord[]) => Promise<void>): DirtyBudget {
  const keys = sourceKeyColumns(params);
  return {
    limit: limits.records,
    keyOf: (record, kind) => recordKey(record, kind, keys),
    store,
    exceeded: (count) => `task ${taskId}: ${count} dirty records exceed params.error_limit.records ${limits.records}; list them with ${dirtyCommand(env, taskId)}`,
  };
}

/** A record's key for the reject store: the entry or object key, the `keys` columns of a row, or null. */
export function recordKey(record: SyncRecord, kind: RecordKind, keys: string[]): JsonValue {
  if (kind === 'entry' || kind === 'object') return recordJson(record.key);
  if (keys.length === 0) return null;
  const values = keys.map((k) => recordJson(record[k]));
  return keys.length === 1 ? values[0] : values;
}

/**
 * A value as plain JSON, exact: bytes as UTF-8 text or `{"b64": ...}` (the envelope's form, see
 * src/sdk/binary.ts), bigint as its digits, dates as ISO text, sets as lists, NaN/Infinity as text.
 * @example recordJson({ id: 9007199254740993n, raw: Buffer.from([0xff]) }) // { id: '9007199254740993', raw: { b64: '/w==' } }
 */
export function recordJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return encodeBytes(Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(recordJson);
  if (value instanceof Set) return [...value].map(recordJson);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, recordJson(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value as JsonValue;
}
