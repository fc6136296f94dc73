import os from 'node:os';
import { Worker } from 'bullmq';
import type { Piscina } from 'piscina';
import type { Redis } from 'ioredis';
import type { Logger } from 'winston';
import type { GoshiftConfig } from '../config/schema';
import type { MetaDb } from '../meta/meta-db';
import type { WorkerResult, WorkerTask } from '../runtime/messages';
import { createThreadPool, runOnPiscina } from '../runtime/pool';
import { QueueConfig, queueRedisOptions } from './queue-config';
import { queueClient } from './queue-link';
import { resumeFromStore, withKept } from './resume-from-store';
import { RunBridge } from './run-bridge';
import { cancelKey, DownMessage } from './wire';

/** Options of {@link ShardWorker}. */
export interface ShardWorkerOptions {
  config: GoshiftConfig;
  queue: QueueConfig;
  meta: MetaDb;
  logger: Logger;
  /** Shard jobs run at once. */
  concurrency: number;
  /** Honour goshift's bare env-name form in this worker's config. */
  usedEnv: boolean;
}

/**
 * `goshift worker`'s engine: a BullMQ worker on the queue's shard jobs that runs each on this
 * process's piscina threads (the same worker file as the local pool), with connections from this
 * worker's own config. A job taken over from a dead worker continues after the shard's saved
 * position; a job of a cancelled run is skipped.
 */
export class ShardWorker {
  /** This worker's name in the queue (`processedBy`): `<host>:<pid>`. */
  readonly name = `${os.hostname()}:${process.pid}`;
  private readonly threads: Piscina;
  private readonly worker: Worker<WorkerTask, WorkerResult>;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly bridges = new Map<number, RunBridge>();
  private closing?: Promise<void>;

  constructor(private readonly o: ShardWorkerOptions) {
    const threadCount = Math.max(1, Math.min(o.concurrency, os.availableParallelism()));
    this.threads = createThreadPool({ threads: threadCount, shardsPerThread: Math.ceil(o.concurrency / threadCount), inFlight: o.concurrency, preload: [] });
    const onError = (err: Error): void => void o.logger.warn(`worker ${this.name}: queue ${o.queue.name}: ${err.message}`);
    this.pub = queueClient(o.queue, onError);
    this.sub = queueClient(o.queue, onError);
    this.sub.on('message', (channel: string, text: string) => {
      for (const b of this.bridges.values()) if (b.downChannel === channel) b.receive(JSON.parse(text) as DownMessage);
    });
    this.worker = new Worker<WorkerTask, WorkerResult>(o.queue.name, (job) => this.process(job.data, job.id ?? '?'), {
      connection: queueRedisOptions(o.queue), concurrency: o.concurrency, name: this.name,
      stalledInterval: o.queue.stalled_interval_ms, lockDuration: o.queue.stalled_interval_ms, maxStalledCount: o.queue.max_stalled_count,
      // Jobs of a run are removed by its coordinator when the run ends.
      removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 24 * 3600 },
    });
    this.worker.on('error', onError);
    this.worker.on('stalled', (id) => o.logger.warn(`worker ${this.name}: shard job ${id} lost its worker; it runs again from its last saved position`));
  }

  /** Resolves once the worker listens to the queue. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  private async process(data: WorkerTask, jobId: string): Promise<WorkerResult> {
    const empty: WorkerResult = { shardId: data.shard.id, threadId: -1, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
    if (await this.pub.exists(cancelKey(this.o.queue, data.runId))) {
      return { ...empty, error: { name: 'CancelledError', message: `task ${data.task.id}: run ${data.runId} was cancelled`, transient: false } };
    }
    // Payloads carry no secrets and no paths of the coordinator's machine: connections, logs and
    // the pool sizing are this worker's own.
    const own: WorkerTask = {
      ...data, configFile: this.o.config.source, usedEnv: this.o.usedEnv,
      log: { level: this.o.config.log.level, dir: this.o.config.log.dir }, shardsPerThread: Math.ceil(this.o.concurrency / Math.max(1, Math.min(this.o.concurrency, os.availableParallelism()))),
    };
    const bridge = await this.bridge(data.runId);
    const resumed = await resumeFromStore(this.o.meta, own);
    if (resumed.saved) {
      this.o.logger.info(`worker ${this.name}: job ${jobId}: task ${data.task.id} shard ${data.shard.id} continues after its saved position (${resumed.saved.rowsRead} rows)`);
      bridge.publish({ type: 'resumed', runId: data.runId, shardId: data.shard.id, worker: this.name, saved: resumed.saved });
    }
    if (resumed.done) return resumed.done;
    return withKept(await runOnPiscina(this.threads, resumed.task), resumed);
  }

  private async bridge(runId: number): Promise<RunBridge> {
    let b = this.bridges.get(runId);
    if (b) return b;
    b = new RunBridge(this.o.queue, runId, this.name, this.pub, () => {
      this.bridges.delete(runId);
      void this.sub.unsubscribe(b!.downChannel).catch(() => undefined);
    });
    this.bridges.set(runId, b);
    await this.sub.subscribe(b.downChannel);
    return b;
  }

  /** Stop taking jobs, let the shards in flight finish, close threads and connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      for (const b of [...this.bridges.values()]) b.receive({ type: 'close', runId: b.runId });
      await this.threads.destroy();
      this.sub.disconnect();
      await this.pub.quit().catch(() => undefined);
    })();
    return this.closing;
  }
}
