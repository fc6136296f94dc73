import { EventEmitter } from 'node:events';
import { addCounters, Counters } from '../meta/counters';
import type { RunCounters, RunStatus } from '../meta/run-store';
import type { PositionCounts, ProgressMessage, WorkerResult } from './messages';

/** Counters of one shard in this run. */
type ShardLive = Required<Pick<Counters, 'rowsRead' | 'rowsWritten' | 'rowsFailed' | 'bytes' | 'rowsDirty'>>;

const zero = (): ShardLive => ({ rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0, rowsDirty: 0 });

/**
 * One run's state and counters, owned in one place: workers' progress deltas, shard retries and
 * completions go in; the bar, the periodic run-history write and the summary read `counters()`.
 * Emits `change` whenever the counters move and `status` when the status is set.
 */
export class JobRun extends EventEmitter {
  /** Status so far (`running` until the run ends). */
  status: RunStatus = 'running';
  readonly startedAt = new Date();
  endedAt?: Date;
  private readonly totals: RunCounters = { shardsTotal: 0, shardsDone: 0, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, rowsSkipped: 0, bytes: 0 };
  /** Counters of shards in flight (this run's rows of each, live). */
  private readonly live = new Map<string, ShardLive>();
  /** `--key`: the named keys the shards handed to the writer. */
  readonly keysWritten = new Set<string>();
  /** `--key`: the named keys the run did not copy (set when it ends). */
  keysMissing: string[] = [];
  /** Dirty records of finished shards (records the target refused, skipped under a budget). */
  private dirtyDone = 0;
  /** Change feeds (`-mode stream`): deletes applied, and the lag reported with the latest batch. */
  readonly feed = { deleted: 0, lagMs: undefined as number | undefined, lagAt: 0 };
  /** Shards already counted in `totals`: their late progress messages are ignored. */
  private readonly finished = new Set<string>();

  constructor(readonly taskId: number, readonly runId: number) {
    super();
  }

  /** Current counters: finished shards plus the live ones. */
  counters(): RunCounters {
    const sum = { ...this.totals };
    for (const c of this.live.values()) addCounters(sum, { ...c, rowsDirty: undefined });
    sum.rowsDirty = this.dirty();
    return sum;
  }

  /** Dirty records so far: finished shards plus the live ones (also counted in `rowsFailed`). */
  dirty(): number {
    let n = this.dirtyDone;
    for (const c of this.live.values()) n += c.rowsDirty;
    return n;
  }

  /**
   * A change feed's lag in ms: from the newest change seen at the source until it was written,
   * 0 once no batch came for `idleMs` (everything seen is written); undefined before any change.
   */
  feedLagMs(idleMs = 2000): number | undefined {
    if (this.feed.lagMs === undefined) return undefined;
    return Date.now() - this.feed.lagAt >= idleMs ? 0 : this.feed.lagMs;
  }

  /** Shards planned (or discovered) so far. */
  addPlanned(n: number): void {
    this.totals.shardsTotal += n;
    this.emit('change');
  }

  /** A shard an earlier run finished (skipped), or the part of one before its saved position. */
  skipped(rows: number, shardDone: boolean): void {
    this.totals.rowsSkipped += rows;
    if (shardDone) this.totals.shardsDone++;
    this.emit('change');
  }

  /**
   * Rows this same run copied before its coordinator restarted (a re-attached queue run): counted
   * as read and written, not skipped.
   */
  adopted(c: PositionCounts, shardDone: boolean): void {
    addCounters(this.totals, { rowsRead: c.rowsRead, rowsWritten: c.rowsWritten, bytes: c.bytes });
    if (shardDone) this.totals.shardsDone++;
    this.emit('change');
  }

  /** A worker's progress delta. */
  progress(msg: ProgressMessage): void {
    if (this.finished.has(msg.shardId)) return;
    const c = this.live.get(msg.shardId) ?? zero();
    addCounters(c, { rowsRead: msg.rowsRead, rowsWritten: msg.rowsWritten, rowsFailed: msg.rowsFailed, bytes: msg.bytes, rowsDirty: msg.rowsDirty ?? 0 });
    this.feed.deleted += msg.rowsDeleted ?? 0;
    if (msg.lagMs !== undefined) {
      this.feed.lagMs = msg.lagMs;
      this.feed.lagAt = Date.now();
    }
    this.live.set(msg.shardId, c);
    this.emit('change');
  }

  /** A shard runs again from its last saved position: its live counters fall back to what was kept. */
  retried(shardId: string, kept: PositionCounts): void {
    this.live.set(shardId, { ...kept, rowsFailed: kept.rowsDirty ?? 0, rowsDirty: kept.rowsDirty ?? 0 });
    this.emit('change');
  }

  /** A shard ended; `result` holds every attempt of this run that reached the target. */
  shardDone(shardId: string, result: WorkerResult): void {
    this.finished.add(shardId);
    this.live.delete(shardId);
    addCounters(this.totals, { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsFailed: result.rowsFailed, bytes: result.bytes, rowsExpired: result.rowsExpired ?? 0 });
    this.dirtyDone += result.rowsDirty ?? 0;
    for (const k of result.keysWritten ?? []) this.keysWritten.add(k);
    if (!result.error) this.totals.shardsDone++;
    this.emit('change');
  }

  /** Drop live counters of shards that never reported an end (late messages after the pool stopped). */
  settle(): void {
    this.live.clear();
    this.emit('change');
  }

  /** Set the final status. */
  end(status: RunStatus): void {
    this.status = status;
    this.endedAt = new Date();
    this.emit('status', status);
  }
}
