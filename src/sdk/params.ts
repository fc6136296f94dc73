/** Helpers for plugins' params: convict formats that name the key, and the column and batch rules every store shares. */
import type { TaskParams } from './task-params';
import type { WriterFactory } from './writer';

/** Records per write when neither the task nor the writer says otherwise. */
export const defaultWriteBatch = 500;

/**
 * A convict format that accepts a positive integer (a JSON number), at most `max` when given, and
 * names the key.
 * @example positiveInt('worker_num', 256)(1000) // throws 'params.worker_num must be at most 256, got 1000'
 */
export function positiveInt(name: string, max = Infinity): (value: unknown) => void {
  return (value) => {
    if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
      throw new Error(`params.${name} must be a positive integer, got ${JSON.stringify(value)}`);
    }
    if (value > max) throw new Error(`params.${name} must be at most ${max}, got ${value}`);
  };
}

/** A convict format for an optional list of strings. */
export function stringList(name: string): (value: unknown) => void {
  return (value) => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new Error(`params.${name} must be a list of strings, got ${JSON.stringify(value)}`);
    }
  };
}

/** A convict format for an object whose values are all strings. */
export function stringMap(name: string): (value: unknown) => void {
  return (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new Error(`params.${name} must be an object of strings, got ${JSON.stringify(value)}`);
    }
  };
}

/** Primary key columns of the source: `pk.src`, else goshift's older `split.pk`, else none. */
export function sourceKeyColumns(params: TaskParams): string[] {
  if (params.pk.src) return params.pk.src.split(',').map((s) => s.trim()).filter(Boolean);
  const older = params.split.pk;
  return (typeof older === 'string' ? older.split(',') : older).map((s) => s.trim()).filter(Boolean);
}

/** The target name of a source column: `column_map`, else `pk.dest` for `pk.src`, else the same name. */
export function mappedColumn(params: TaskParams, source: string): string {
  const { column_map: map, pk } = params;
  if (map[source]) return map[source];
  if (pk.src && pk.dest && source === pk.src) return pk.dest;
  return source;
}

/**
 * Records per write of a task: `params.write_batch` when set, else the writer's own default.
 * @example writeBatchOf({ write_batch: 0 } as TaskParams, mysqlWriter) // 5000
 */
export function writeBatchOf(params: Pick<TaskParams, 'write_batch'>, writer: Pick<WriterFactory, 'defaultWriteBatch'> | undefined): number {
  return params.write_batch || writer?.defaultWriteBatch || defaultWriteBatch;
}

/**
 * A `given` check (see src/params-check.ts) for a size whose default 0 stands for "decided
 * elsewhere": a task that writes 0 or less is refused, saying how to get the default.
 * @example positiveWhenGiven('write_batch', 'leave the key out')(0) // throws 'params.write_batch must be a positive integer, got 0 (leave the key out)'
 */
export function positiveWhenGiven(name: string, howToDefault: string): (value: unknown) => void {
  return (value) => {
    if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
      throw new Error(`params.${name} must be a positive integer, got ${JSON.stringify(value)} (${howToDefault})`);
    }
  };
}
