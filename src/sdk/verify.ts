/** The optional same-store verify: compare a task's source and target and repair them. */
import type { PluginContext } from './context';

/** Options of a verify (`goshift verify`). */
export interface VerifyOptions {
  /** Re-copy the keys found missing or different, then check them again. Default is false. */
  repair: boolean;
  /** With `repair`: also delete the target rows the source does not have. Default is false. */
  deleteExtra: boolean;
  /** redis: largest TTL difference, in milliseconds, that still counts as equal. Default is 1000. */
  ttlToleranceMs?: number;
  /** Ranges checked at once (each holds one connection per side). Default: min(worker_num, 4). */
  concurrency: number;
  signal: AbortSignal;
}

/** What a verify found. Keys are in display form (`42`, `a,7`, `0xff00`). */
export interface VerifyReport {
  /** What `checked`/`equal`/`differing` count: key ranges (mysql) or keys (redis, and every task verified across stores). */
  unit: 'ranges' | 'keys';
  checked: number;
  equal: number;
  differing: number;
  sourceRows: number;
  targetRows: number;
  /** In the source, not in the target. */
  missing: string[];
  /** In the target, not in the source. */
  extra: string[];
  /** In both, with different values. */
  different: string[];
  /** Set when `repair` was asked. */
  repair?: {
    copied: number;
    deleted: number;
    /** Keys checked again after the repair. */
    rechecked: number;
    /** Keys that still differ after the repair (extra rows kept without `deleteExtra` count here). */
    stillDiffering: string[];
  };
  /**
   * One line each on what the verify could not do (a writer that cannot delete, a repair bound).
   * Default: none.
   */
  notes?: string[];
}

/**
 * Compares a task's source and target when both are the same store type, and repairs the
 * differences. Never writes to the source. Tasks whose stores have none are compared by
 * `src/verify/` (key sets plus a hash of each record, through both stores' readers).
 *
 * @example const report = await plugin.verify!.verify(readerCtx, writerCtx, { repair: false, deleteExtra: false, concurrency: 4, signal })
 */
export interface VerifyFactory {
  verify(source: PluginContext, target: PluginContext, opts: VerifyOptions): Promise<VerifyReport>;
}

/**
 * How `goshift verify` reads a target of this store back through this plugin's own reader (a task
 * verified across stores): which `from_table` reads what the writer wrote, which of the reader's
 * params only filter a source, and whether an appending target can be written anew by a repair.
 * The core asks these questions; it never tests the store's name.
 *
 * @example readBack: { table: (t) => (t.endsWith('/') ? `${t}part-*` : t), rewritable: (t) => !t.endsWith('/') }
 */
export interface ReadBack {
  /**
   * The `from_table` that reads back what the writer wrote to `toTable` (trimmed): file, a
   * directory `out/` reads its parts `out/part-*`; redis, a key template `user:{id}` reads the keys
   * it matches `user:*`. Default: `toTable` as it is.
   */
  table?(toTable: string): string;
  /**
   * This reader's params keys that only narrow a source, each with the value that turns it off;
   * reading a target back resets them (dynamodb: `filter_expression: ''`). Default: none.
   */
  sourceFilters?: Record<string, unknown>;
  /**
   * For a writer that appends: true when the target at `toTable` (trimmed) is one whole unit that
   * `verify --repair` may write anew from what it holds plus the source's records (a single file).
   * Default: false, an appending target is never patched.
   */
  rewritable?(toTable: string): boolean;
}
