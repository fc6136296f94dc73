/** The optional same-store fast path: shards copied inside the store. */
import type { Counters } from '../meta/counters';
import type { PluginContext } from './context';
import type { Shard } from './shard';

/** Counters of a shard copied directly inside the store (the run's record counters, src/meta/counters.ts). */
export type DirectCopyCounters = Pick<Counters, 'rowsRead' | 'rowsWritten' | 'bytes'>;

/** A direct-copy session: opened once per worker thread, reused for every shard it runs. */
export interface DirectCopySession {
  /** Copy one shard inside the store (e.g. one `INSERT ... SELECT` over the shard's key range). */
  copy(shard: Shard, opts: { signal: AbortSignal }): Promise<DirectCopyCounters>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Optional same-store fast path: when source and target live in the same server, shards are
 * copied there and records never travel through goshift. Used only when the task's reader and
 * writer are the same plugin, `supports` says yes, and `params.direct_copy` is not false.
 */
export interface DirectCopyFactory {
  /** Whether this source and target can be copied directly. Runs once, in the main thread. */
  supports(reader: PluginContext, writer: PluginContext): Promise<boolean>;
  /** Open a session. Called once per worker thread. */
  open(reader: PluginContext, writer: PluginContext): Promise<DirectCopySession>;
}
