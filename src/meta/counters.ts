/**
 * The record counters goshift adds up: per batch, per shard attempt, per shard, per run, in a
 * worker thread, on a queue worker and in the coordinator alike. One type, one way to add.
 */

/** Record counters. The optional ones are 0 when absent. */
export interface Counters {
  rowsRead: number;
  rowsWritten: number;
  /** Records that were not written (a failed batch, a refused record, a row the mapping skipped). */
  rowsFailed: number;
  /** Approximate payload size of what was read. */
  bytes: number;
  /** Entries not written because their expiry had passed (not failed). Default 0. */
  rowsExpired?: number;
  /** Records the target refused for their data, skipped under `params.error_limit` (also in `rowsFailed`). Default 0. */
  rowsDirty?: number;
  /** Deletes of a change feed applied to the target (also in `rowsRead` and `rowsWritten`). Default 0. */
  rowsDeleted?: number;
}

/** The names of the {@link Counters} figures. */
export const counterKeys = ['rowsRead', 'rowsWritten', 'rowsFailed', 'bytes', 'rowsExpired', 'rowsDirty', 'rowsDeleted'] as const;

/**
 * Add `delta`'s counters into `into` (in place) and return it. Only the figures `delta` has are
 * touched; one `into` lacks starts at 0. Other fields of either (ids, positions, lag) are left alone.
 * @example addCounters({ rowsRead: 5, rowsWritten: 5, rowsFailed: 0, bytes: 50 }, { rowsRead: 2, rowsDirty: 1 }) // { rowsRead: 7, ..., rowsDirty: 1 }
 */
export function addCounters<T extends Partial<Counters>>(into: T, delta: Partial<Counters>): T {
  const target = into as Partial<Counters>;
  for (const k of counterKeys) {
    const v = delta[k];
    if (v !== undefined) target[k] = (target[k] ?? 0) + v;
  }
  return into;
}
