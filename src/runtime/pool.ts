import os from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import pRetry from 'p-retry';
import { Piscina } from 'piscina';
import type { JsonValue, Shard } from '../sdk';
import { addCounters } from '../meta/counters';
import { workerFile } from '../paths';
import type { RunRateLimiter } from './rate-limit';
import { channelName, ChannelMessage, PositionCounts, ProgressMessage, WorkerResult, WorkerTask } from './messages';

/**
 * Young-generation size of each worker thread, in MiB. V8 keeps a grown young generation resident,
 * so it is most of a thread's memory: peak RSS of a 1M-row cross-server copy (2 threads) was
 * 425-464 MiB at 128, 318-336 at 64, 251-288 at 32 (298 for 10M rows), 216-251 at 16. In
 * alternating runs 32 also used less CPU than 128 (7.3-8.7 s against 8.7-9.7 s per 1M rows) and
 * a little less than 16 (avg 9.8 s against 10.5 s on a busier machine). Since upserts load new
 * rows with LOAD DATA in 5000-row transactions, 16 wins: five alternating pairs, 16 faster in all
 * five (5.04-6.13 s against 5.35-6.66 s) at 261-274 MiB against 294-303.
 */
const youngGenerationMb = 16;

/** One shard to run and where it starts. */
export interface ShardJob {
  shard: Shard;
  /** Fingerprint of the shard (see `shardFingerprint`). */
  fingerprint: string;
  /** Continue strictly after this durable position (a resume); undefined = from the start. */
  from?: JsonValue;
  /** Rows copied up to `from` by earlier runs. */
  base: PositionCounts;
  /**
   * The shard's first batch may already be in the target (it started in an earlier run that was
   * cut off). Default: true when `from` is set.
   */
  replay?: boolean;
}

/** What the pool tells its owner while shards run. */
export interface PoolEvents {
  /** Counters of one batch, as workers report them. */
  onProgress(msg: ProgressMessage): void;
  /**
   * A shard finished (successfully, stopped, or with `result.error`); `result` counts every
   * attempt of this run that reached the target. Awaited before the next shard starts.
   */
  onShardDone(job: ShardJob, result: WorkerResult): Promise<void>;
  /**
   * A shard failed with a transient error and runs again from its last saved position; `kept` is
   * what this run copied of it up to that position (the rest of the failed attempt is void).
   */
  onShardRetry(job: ShardJob, result: WorkerResult, attempt: number, kept: PositionCounts): void;
}

/** Thrown inside the retry loop to ask p-retry for another attempt. */
class TransientShardFailure extends Error {
  constructor(readonly result: WorkerResult) {
    super(result.error?.message);
  }
}

/** The task payload of a run without the shard-specific fields. */
export type RunPayload = Omit<WorkerTask, 'shard' | 'fingerprint' | 'from' | 'base' | 'replay'>;

/** Options of {@link createThreadPool}. */
export interface ThreadPoolOptions {
  threads: number;
  /** Shards one thread runs at once. */
  shardsPerThread: number;
  /**
   * Shards in flight over all threads (`worker_num`): each thread sizes its connection pools by its
   * own share of it (`threadShare` in thread-share.ts), so the threads together never hold more.
   */
  inFlight: number;
  /** Plugins the threads load at start. */
  preload: string[];
  /** Shared flag a cancel sets (the local pool); none in a queue worker. */
  cancelFlag?: Int32Array;
}

/** A piscina pool on goshift's worker file, as both the local pool and `goshift worker` run it. */
export function createThreadPool(o: ThreadPoolOptions): Piscina {
  return new Piscina({
    filename: workerFile,
    workerData: { preload: o.preload, cancelFlag: o.cancelFlag, threads: o.threads, inFlight: o.inFlight, slots: new Int32Array(new SharedArrayBuffer(4)) },
    minThreads: o.threads,
    maxThreads: o.threads,
    concurrentTasksPerWorker: o.shardsPerThread,
    idleTimeout: 60_000,
    // Threads keep connections open between shards; Atomics.wait would stall their I/O.
    atomics: 'disabled',
    // Rows are short-lived garbage; the young generation's size is measured above.
    resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
  });
}

/**
 * Hands a run's shards out: `inFlight` shards at once (goshift's `worker_num`). A shard waits for
 * the shards named in its `after`; shards may be added while the run goes (`add`). A transient
 * failure runs the shard again from its last saved position. Stops handing out shards at the
 * first failure or on `cancel()`. Subclasses say where one attempt runs (`runOnThread`): local
 * threads ({@link ShardPool}) or queue workers on other machines.
 */
export abstract class ShardScheduler {
  private readonly queue: ShardJob[] = [];
  private readonly finished = new Set<string>();
  private readonly known = new Set<string>();
  private wake?: () => void;
  /** True once the run stops handing out shards (cancel or first failure). */
  protected stopping = false;
  /** The owner's callbacks while `run` goes. */
  protected events?: PoolEvents;

  constructor(protected readonly runId: number, protected readonly inFlight: number) {}

  /** The run's rate limit (`max_rows_per_sec` / `max_bytes_per_sec`): shards ask it before each write. */
  limiter?: RunRateLimiter;

  /** Shards one thread runs at once. */
  abstract get shardsPerThread(): number;

  /** Run one attempt of a shard and return its result (never throws for a failed shard). */
  protected abstract runOnThread(task: WorkerTask): Promise<WorkerResult>;

  /** Tell in-flight shards to stop after their current batch. */
  protected abstract stopShards(): void;

  /** Release what the scheduler holds (threads, connections). Idempotent. */
  abstract close(timeoutMs?: number): Promise<void>;

  /** Answer a shard's rate-limit request once the budget allows it (`send` posts the grant). */
  protected grant(rows: number, bytes: number, send: () => void): void {
    if (!this.limiter) send();
    else void this.limiter.acquire(rows, bytes).then(send, send);
  }

  /** Add shards to a running plan (discovered while it runs). Ids already known are ignored. */
  add(jobs: ShardJob[]): void {
    for (const job of jobs) {
      if (this.known.has(job.shard.id)) continue;
      this.known.add(job.shard.id);
      this.queue.push(job);
    }
    this.wake?.();
  }

  /**
   * Run every shard (and any added meanwhile); resolves with the first failed result (or
   * undefined) once nothing is in flight.
   * @param base the task payload without the shard and its start
   * @param events progress and shard-completion callbacks
   */
  async run(jobs: ShardJob[], base: RunPayload, events: PoolEvents): Promise<WorkerResult | undefined> {
    this.events = events;
    this.add(jobs);
    let firstFailure: WorkerResult | undefined;
    let running = 0;
    const inPlan = (id: string) => this.known.has(id);
    const ready = (job: ShardJob) => (job.shard.after ?? []).every((id) => !inPlan(id) || this.finished.has(id));
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (!this.stopping && running < this.inFlight) {
          const index = this.queue.findIndex(ready);
          if (index < 0) break;
          const [job] = this.queue.splice(index, 1);
          running++;
          void this.runWithRetries(job, base, events).catch((err): WorkerResult => ({
            shardId: job.shard.id, threadId: -1, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0,
            error: { name: 'GoshiftError', message: `shard ${job.shard.id}: ${(err as Error)?.message ?? String(err)}`, transient: false },
          })).then(async (result) => {
            if (!result.error) this.finished.add(job.shard.id);
            await events.onShardDone(job, result);
            if (result.error && !firstFailure) {
              firstFailure = result;
              this.cancel();
            }
            running--;
            pump();
          });
        }
        // Done when nothing runs and nothing left can start (stopped, or only shards waiting on failed parents).
        if (running === 0 && (this.stopping || !this.queue.some(ready))) {
          this.wake = undefined;
          resolve();
        }
      };
      this.wake = pump;
      pump();
    });
    return firstFailure;
  }

  /**
   * Run one shard. A transient failure runs it again from its last saved position, with jittered
   * exponential backoff (0.5 s up to 10 s) for at most `params.retry_max_seconds` and
   * `params.retries` attempts.
   */
  private async runWithRetries(job: ShardJob, base: RunPayload, events: PoolEvents): Promise<WorkerResult> {
    const kept: Required<PositionCounts> = { rowsRead: 0, rowsWritten: 0, bytes: 0, rowsDirty: 0 };
    let from = job.from;
    let replay = job.replay ?? job.from !== undefined;
    const task = (): WorkerTask => ({
      ...base, shard: job.shard, fingerprint: job.fingerprint, from, replay,
      base: { rowsRead: job.base.rowsRead + kept.rowsRead, rowsWritten: job.base.rowsWritten + kept.rowsWritten, bytes: job.base.bytes + kept.bytes },
    });
    const withKept = (r: WorkerResult): WorkerResult => ({
      ...r, rowsRead: kept.rowsRead + r.rowsRead, rowsWritten: kept.rowsWritten + r.rowsWritten, bytes: kept.bytes + r.bytes,
      // Dirty records before the saved position are not met again: they stay counted (and failed).
      rowsDirty: kept.rowsDirty + (r.rowsDirty ?? 0), rowsFailed: kept.rowsDirty + r.rowsFailed,
    });
    try {
      return await pRetry(async () => {
        const result = await this.runOnThread(task());
        if (result.error?.transient && !this.stopping) throw new TransientShardFailure(result);
        return withKept(result);
      }, {
        retries: base.params.retries,
        maxRetryTime: base.params.retry_max_seconds * 1000,
        minTimeout: 500,
        maxTimeout: 10_000,
        factor: 2,
        randomize: true,
        onFailedAttempt: (err) => {
          if (!(err instanceof TransientShardFailure)) return;
          // The next attempt continues after the failed one's last durable position.
          const saved = err.result.saved;
          if (saved) {
            from = saved.position ?? from;
            addCounters(kept, saved);
          }
          replay = true;
          if (err.retriesLeft > 0) events.onShardRetry(job, err.result, err.attemptNumber, { ...kept });
        },
      });
    } catch (err) {
      if (err instanceof TransientShardFailure) return withKept(err.result);
      throw err;
    }
  }

  /** Stop handing out shards and tell in-flight shards to stop after their current batch. */
  cancel(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopShards();
    this.wake?.();
  }
}

/**
 * Runs a run's shards on a local piscina pool: at most one thread per core, several async shards
 * per thread (see {@link ShardScheduler} for how shards are handed out and retried).
 */
export class ShardPool extends ShardScheduler {
  private readonly pool: Piscina;
  private readonly channel: BroadcastChannel;
  private readonly usedThreads = new Set<number>();
  private closed = false;
  /**
   * Set to 1 on cancel, shared with every thread: a shard that reaches a thread after the cancel
   * broadcast went out (a thread still starting) sees it here, so no shard starts after a cancel.
   */
  private readonly cancelFlag = new Int32Array(new SharedArrayBuffer(4));

  /** Threads in the pool: at most one per core, never more than the shards in flight. */
  readonly threadCount: number;

  /**
   * Start the threads at once (they load the plugins named in `preload` while the main thread
   * validates and plans).
   */
  constructor(runId: number, inFlight: number, preload: string[]) {
    super(runId, inFlight);
    this.threadCount = Math.max(1, Math.min(inFlight, os.availableParallelism()));
    this.pool = createThreadPool({ threads: this.threadCount, shardsPerThread: this.shardsPerThread, inFlight, preload, cancelFlag: this.cancelFlag });
    this.channel = new BroadcastChannel(channelName(runId));
    this.channel.onmessage = (event) => {
      const msg = (event as { data: ChannelMessage }).data;
      if (msg.type === 'progress') this.events?.onProgress(msg);
      if (msg.type === 'acquire' && msg.runId === this.runId) {
        this.grant(msg.rows, msg.bytes, () => {
          if (!this.closed) this.channel.postMessage({ type: 'granted', runId: this.runId, reqId: msg.reqId } satisfies ChannelMessage);
        });
      }
    };
  }

  /** Shards one thread runs at once. */
  get shardsPerThread(): number {
    return Math.ceil(this.inFlight / this.threadCount);
  }

  /**
   * Run one attempt on a thread. A thread that dies under the task (an uncaught error, out of
   * memory) or a payload that cannot be sent is turned into a failed result, transient when the
   * thread died, so the shard is retried instead of hanging the run.
   */
  protected async runOnThread(task: WorkerTask): Promise<WorkerResult> {
    const result = await runOnPiscina(this.pool, task);
    if (result.threadId >= 0) this.usedThreads.add(result.threadId);
    return result;
  }

  protected stopShards(): void {
    Atomics.store(this.cancelFlag, 0, 1);
    this.channel.postMessage({ type: 'cancel', runId: this.runId } satisfies ChannelMessage);
  }

  /** Ask every thread to close its sessions (bounded wait), then stop the threads. Idempotent. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const expected = this.usedThreads.size;
    let closedThreads = 0;
    if (expected > 0) await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.channel.onmessage = (event) => {
        const msg = (event as { data: ChannelMessage }).data;
        if (msg.type === 'closed' && ++closedThreads >= expected) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.channel.postMessage({ type: 'close', runId: this.runId } satisfies ChannelMessage);
    });
    this.channel.close();
    await this.pool.destroy();
  }
}

/**
 * Run one shard attempt on a piscina pool. A thread that dies under the task or a payload that
 * cannot be sent becomes a failed result (transient when the thread died), never a throw.
 */
export async function runOnPiscina(pool: Piscina, task: WorkerTask): Promise<WorkerResult> {
  try {
    return (await pool.run(task)) as WorkerResult;
  } catch (err) {
    const message = `worker thread failed while copying shard ${task.shard.id}: ${(err as Error)?.message ?? String(err)}`;
    const cloneFailure = (err as Error)?.name === 'DataCloneError';
    return { shardId: task.shard.id, threadId: -1, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0, error: { name: 'GoshiftError', message, transient: !cloneFailure } };
  }
}
