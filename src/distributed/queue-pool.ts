import os from 'node:os';
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'winston';
import type { MetaDb } from '../meta/meta-db';
import { RunStore } from '../meta/run-store';
import type { PositionCounts, WorkerResult, WorkerTask } from '../runtime/messages';
import { PoolEvents, RunPayload, ShardJob, ShardScheduler } from '../runtime/pool';
import { QueueConfig, queueRedisOptions } from './queue-config';
import { queueClient } from './queue-link';
import { cancelKey, DownMessage, runChannel, runJobId, runsQueueName, shardJobId, taskRunKey, UpMessage } from './wire';

/** A shard job not released yet waits delayed this long (released by `promote`), in ms. */
const heldMs = 10 * 365 * 24 * 3600 * 1000;

/** How often a run checks that some worker listens to its queue, in ms. */
const noWorkerWarnMs = 30_000;

/** How long finished shard jobs stay in the queue for a coordinator that re-attaches, in s. */
const keepFinishedSeconds = 24 * 3600;

/** Options of a {@link QueuePool}. */
export interface QueuePoolOptions {
  queue: QueueConfig;
  taskId: number;
  meta: MetaDb;
  logger: Logger;
  /** The run was re-attached to: its flow is already in the queue. */
  reattached: boolean;
}

/**
 * The coordinator's side of `--distributed`: runs a run's shards as BullMQ jobs that `goshift
 * worker`s on any machine take. The run is a flow (parent `run-<id>` in `<name>-runs`, one delayed
 * child per shard in `<name>`); the scheduler releases (promotes) at most `worker_num` shards at a
 * time, in `after` order, and a retry after a transient failure is a new child job. Progress and
 * rate-limit requests come back over the run's pub/sub channel; cancel and close go out on it.
 */
export class QueuePool extends ShardScheduler {
  private readonly jobs: Queue;
  private readonly flow: FlowProducer;
  private readonly queueEvents: QueueEvents;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly attempts = new Map<string, number>();
  /** Rows of each shard before this run (the scheduler's job base), to turn saved totals into this run's. */
  private readonly startBase = new Map<string, PositionCounts>();
  /** Rows written per shard as progress reported them (start base included). */
  private readonly written = new Map<string, number>();
  private readonly workers = new Set<string>();
  /** Per shard: ms from release to a worker starting it. */
  readonly latencies: number[] = [];
  private closed = false;
  private readonly ready: Promise<void>;

  constructor(runId: number, inFlight: number, private readonly o: QueuePoolOptions) {
    super(runId, inFlight);
    const connection = queueRedisOptions(o.queue);
    const onError = (err: Error): void => void o.logger.warn(`queue ${o.queue.name}: ${err.message}`);
    this.jobs = new Queue(o.queue.name, { connection });
    this.flow = new FlowProducer({ connection });
    this.queueEvents = new QueueEvents(o.queue.name, { connection });
    this.jobs.on('error', onError);
    this.flow.on('error', onError);
    this.queueEvents.on('error', onError);
    this.pub = queueClient(o.queue, onError);
    this.sub = queueClient(o.queue, onError);
    this.sub.on('message', (_channel: string, text: string) => this.onUp(JSON.parse(text) as UpMessage));
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  /** Listen to the run's channel and queue events, mark the run distributed, and greet the workers. */
  private async start(): Promise<void> {
    await this.sub.subscribe(runChannel(this.o.queue, this.runId, 'up'));
    await this.queueEvents.waitUntilReady();
    await new RunStore(this.o.meta).setQueue(this.runId, this.o.queue.name);
    this.send({ type: 'hello', runId: this.runId });
  }

  /** Shards one thread runs at once: what a local pool on this machine would (plugins size their pools by it). */
  get shardsPerThread(): number {
    return Math.ceil(this.inFlight / Math.max(1, Math.min(this.inFlight, os.availableParallelism())));
  }

  /** Enqueue the run as a flow (unless re-attached), then release shards as the scheduler hands them out. */
  override async run(jobs: ShardJob[], base: RunPayload, events: PoolEvents): Promise<WorkerResult | undefined> {
    await this.ready;
    for (const j of jobs) {
      this.startBase.set(j.shard.id, j.base);
      this.written.set(j.shard.id, j.base.rowsWritten);
    }
    const parent = this.o.reattached ? await withRunsQueue(this.o.queue, (runs) => Job.fromId(runs, runJobId(this.runId))) : undefined;
    if (!this.o.reattached || !parent) {
      await this.flow.add({
        name: 'run', queueName: runsQueueName(this.o.queue), data: { taskId: this.o.taskId, runId: this.runId },
        opts: { jobId: runJobId(this.runId) },
        children: jobs.map((j) => ({
          name: 'shard', queueName: this.o.queue.name,
          data: { ...base, shard: j.shard, fingerprint: j.fingerprint, from: j.from, base: j.base, replay: j.replay ?? j.from !== undefined } satisfies WorkerTask,
          opts: { jobId: shardJobId(this.runId, j.fingerprint, 1), delay: heldMs, removeOnComplete: { age: keepFinishedSeconds }, removeOnFail: { age: keepFinishedSeconds } },
        })),
      });
      await this.pub.set(taskRunKey(this.o.queue, this.o.taskId), String(this.runId));
    }
    const watch = setInterval(() => void this.warnWithoutWorkers(), noWorkerWarnMs);
    watch.unref();
    try {
      return await super.run(jobs, base, events);
    } finally {
      clearInterval(watch);
    }
  }

  /** Say so when no worker listens to the queue (the run would wait for one forever). */
  private async warnWithoutWorkers(): Promise<void> {
    const n = await this.jobs.getWorkersCount().catch(() => -1);
    if (n === 0) this.o.logger.warn(`task ${this.o.taskId} run ${this.runId}: no goshift worker takes jobs from queue ${this.o.queue.name}: start one (goshift worker -e <env>) with the same queue section`);
  }

  /** Release one attempt of a shard to the workers and wait for its result. */
  protected async runOnThread(task: WorkerTask): Promise<WorkerResult> {
    const attempt = await this.nextAttempt(task);
    const id = shardJobId(this.runId, task.fingerprint, attempt);
    try {
      let job = await Job.fromId<WorkerTask, WorkerResult>(this.jobs, id);
      const state = job ? await job.getState() : 'unknown';
      if (job && state === 'failed') {
        await job.remove();
        job = undefined;
      }
      const released = Date.now();
      if (!job) {
        job = await this.jobs.add('shard', task, {
          jobId: id, parent: { id: runJobId(this.runId), queue: `bull:${runsQueueName(this.o.queue)}` },
          removeOnComplete: { age: keepFinishedSeconds }, removeOnFail: { age: keepFinishedSeconds },
        });
      } else if (state === 'delayed') {
        await job.updateData(task);
        await job.promote();
      }
      // A job queued by an earlier coordinator counts from its own payload's base: keep only this run's part.
      const shift = minus(task.base, job.data.base);
      const result = state === 'completed' ? job.returnvalue : await job.waitUntilFinished(this.queueEvents);
      await this.noteWorker(id, released, state === 'delayed' || !state || state === 'unknown');
      return shifted(result, shift);
    } catch (err) {
      const message = `shard ${task.shard.id}: its queue job ${id} failed: ${(err as Error)?.message ?? String(err)}`;
      return { shardId: task.shard.id, threadId: -1, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0, error: { name: 'GoshiftError', message, transient: !this.stopping } };
    }
  }

  /** The attempt number of a shard's next job: after the latest one already in the queue (a re-attached run). */
  private async nextAttempt(task: WorkerTask): Promise<number> {
    let n = this.attempts.get(task.fingerprint);
    if (n === undefined) {
      n = 1;
      while (await Job.fromId(this.jobs, shardJobId(this.runId, task.fingerprint, n + 1))) n++;
    } else {
      n++;
    }
    this.attempts.set(task.fingerprint, n);
    return n;
  }

  /** Record which worker ran a job and how long it waited in the queue. */
  private async noteWorker(id: string, released: number, measured: boolean): Promise<void> {
    const done = await Job.fromId(this.jobs, id);
    if (!done) return;
    if (measured && done.processedOn) this.latencies.push(Math.max(0, done.processedOn - released));
    if (done.processedBy && !this.workers.has(done.processedBy)) {
      this.workers.add(done.processedBy);
      await new RunStore(this.o.meta).setWorkers(this.runId, this.workers.size).catch(() => undefined);
    }
  }

  private onUp(msg: UpMessage): void {
    if (msg.runId !== this.runId) return;
    if (msg.type === 'progress') {
      this.written.set(msg.shardId, (this.written.get(msg.shardId) ?? 0) + msg.rowsWritten);
      this.events?.onProgress(msg);
    } else if (msg.type === 'acquire') {
      this.grant(msg.rows, msg.bytes, () => this.send({ type: 'granted', runId: this.runId, reqId: msg.reqId }));
    } else if (msg.type === 'resumed') {
      const start = this.startBase.get(msg.shardId) ?? { rowsRead: 0, rowsWritten: 0, bytes: 0 };
      const lost = Math.max(0, (this.written.get(msg.shardId) ?? 0) - msg.saved.rowsWritten);
      this.written.set(msg.shardId, msg.saved.rowsWritten);
      const kept = minus(msg.saved, start);
      const result: WorkerResult = {
        shardId: msg.shardId, threadId: -1, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0,
        error: { name: 'GoshiftError', message: `its worker was lost; ${msg.worker} took it over and re-copies what was written after its last saved position (${lost} rows reported beyond it; a batch in flight is not reported)`, transient: true },
      };
      this.events?.onShardRetry({ shard: { id: msg.shardId } as ShardJob['shard'], fingerprint: '', base: start }, result, 1, kept);
    }
  }

  private send(msg: DownMessage): void {
    if (!this.closed) void this.pub.publish(runChannel(this.o.queue, this.runId, 'down'), JSON.stringify(msg)).catch(() => undefined);
  }

  protected stopShards(): void {
    void this.pub.set(cancelKey(this.o.queue, this.runId), '1', 'EX', keepFinishedSeconds).catch(() => undefined);
    this.send({ type: 'cancel', runId: this.runId });
  }

  /** Queue latency per shard (ms from release to a worker starting it): median, 95th percentile, max. */
  latencySummary(): { median: number; p95: number; max: number; n: number } | undefined {
    if (this.latencies.length === 0) return undefined;
    const s = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { median: at(0.5), p95: at(0.95), max: s[s.length - 1], n: s.length };
  }

  /**
   * The run ended: tell workers to close its sessions, remove its flow and the task's pointer to
   * it, and disconnect. Idempotent; every step runs even when one fails.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const lat = this.latencySummary();
    if (lat) this.o.logger.info(`task ${this.o.taskId} run ${this.runId}: ${this.workers.size} worker(s) ran ${lat.n} shard job(s) from queue ${this.o.queue.name}; queue latency per shard: median ${lat.median} ms, p95 ${lat.p95} ms, max ${lat.max} ms`);
    this.send({ type: 'close', runId: this.runId });
    this.closed = true;
    const steps: [string, () => Promise<unknown>][] = [
      ['removing the run\'s jobs', async () => {
        await withRunsQueue(this.o.queue, async (runs) => (await Job.fromId(runs, runJobId(this.runId)))?.remove({ removeChildren: true }));
      }],
      ['clearing the task\'s run pointer', async () => {
        const key = taskRunKey(this.o.queue, this.o.taskId);
        if ((await this.pub.get(key)) === String(this.runId)) await this.pub.del(key);
      }],
      ['closing queue events', () => this.queueEvents.close()],
      ['closing the flow producer', () => this.flow.close()],
      ['closing the queue', () => this.jobs.close()],
      ['closing pub/sub', async () => {
        this.sub.disconnect();
        await this.pub.quit();
      }],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.o.logger.warn(`queue ${this.o.queue.name}: ${what} failed: ${(err as Error).message}`);
      }
    }
  }
}

/** Run `fn` with the queue of run (flow parent) jobs, closed afterwards. */
export async function withRunsQueue<T>(q: QueueConfig, fn: (runs: Queue) => Promise<T>): Promise<T> {
  const runs = new Queue(runsQueueName(q), { connection: queueRedisOptions(q) });
  try {
    return await fn(runs);
  } finally {
    await runs.close();
  }
}

/** `a - b` per counter (never below 0). */
function minus(a: PositionCounts, b: PositionCounts): PositionCounts {
  return { rowsRead: Math.max(0, a.rowsRead - b.rowsRead), rowsWritten: Math.max(0, a.rowsWritten - b.rowsWritten), bytes: Math.max(0, a.bytes - b.bytes) };
}

/** A result counted from an older base, made relative to the newer one. */
function shifted(r: WorkerResult, shift: PositionCounts): WorkerResult {
  if (!shift.rowsRead && !shift.rowsWritten && !shift.bytes) return r;
  const less = (n: number, by: number) => Math.max(0, n - by);
  return {
    ...r, rowsRead: less(r.rowsRead, shift.rowsRead), rowsWritten: less(r.rowsWritten, shift.rowsWritten), bytes: less(r.bytes, shift.bytes),
    saved: r.saved && { ...r.saved, rowsRead: less(r.saved.rowsRead, shift.rowsRead), rowsWritten: less(r.saved.rowsWritten, shift.rowsWritten), bytes: less(r.saved.bytes, shift.bytes) },
  };
}
