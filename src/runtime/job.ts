import os from 'node:os';
import type { Logger } from 'winston';
import type { Shard } from '../contract';
import type { GoshiftConfig } from '../config/schema';
import { CancelledError, deserializeError, GoshiftError, TaskError } from '../errors';
import type { MetaDb } from '../meta/meta-db';
import { RunCounters, RunStatus, RunStore, shardKey } from '../meta/run-store';
import { TaskStatus } from '../meta/task-row';
import { TaskStore } from '../meta/task-store';
import { readerContext, RunParts, writerContext } from './context';
import { JobSpec, resolveJob } from './job-spec';
import { PoolEvents, ShardPool } from './pool';
import { formatSummary, ProgressReporter, RunSummary } from './progress';

/** Options of one run. */
export interface RunJobOptions {
  config: GoshiftConfig;
  meta: MetaDb;
  taskId: number;
  /** `init` (full copy, default) or `incr` (changes since the stored watermark). */
  mode: string;
  /** Run an offline task anyway. */
  force: boolean;
  /** Skip shards the last failed or cancelled run of this task already finished. */
  resume?: boolean;
  logger: Logger;
  /** Fires on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Show a live bar (default: when stderr is a TTY). */
  tty?: boolean;
}

/** A finished run: its summary and, when it did not succeed, the error. */
export interface RunOutcome {
  summary: RunSummary;
  error?: GoshiftError;
}

/**
 * Run one task end to end: open a run record, resolve and validate the task, plan shards, copy
 * them on the worker pool, record checkpoints, and close the run with a status. Never throws for
 * a failed run: the error comes back in the outcome (only an unreachable metadata db throws).
 */
export async function runJob(opts: RunJobOptions): Promise<RunOutcome> {
  const { logger, taskId } = opts;
  const tasks = new TaskStore(opts.meta);
  const runs = new RunStore(opts.meta);
  const runId = await runs.open(taskId, opts.mode, 'run');
  const startedAt = new Date();
  const counters: RunCounters = { shardsTotal: 0, shardsDone: 0, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
  let markedRunning = false;
  let status: RunStatus = 'failed';
  let error: GoshiftError | undefined;
  try {
    const task = await tasks.get(taskId);
    const spec = resolveJob(opts.config, task, { force: opts.force });
    await refuseConcurrentRun(taskId, runId, runs, opts);
    await tasks.setStatus(taskId, TaskStatus.running);
    markedRunning = true;
    await copy(spec, runId, counters, opts, tasks, runs);
    status = 'success';
  } catch (err) {
    error = toGoshiftError(err);
    status = error instanceof CancelledError ? 'cancelled' : 'failed';
  }
  const endedAt = new Date();
  await runs.finish(runId, status, counters, error ? error.message : null);
  if (markedRunning) {
    const code = status === 'success' ? TaskStatus.success : status === 'cancelled' ? TaskStatus.cancelled : TaskStatus.failed;
    await tasks.setStatus(taskId, code);
  }
  const summary: RunSummary = { ...counters, taskId, runId, status, startedAt, endedAt };
  logger.debug(formatSummary(summary));
  return { summary, error };
}

async function copy(spec: JobSpec, runId: number, counters: RunCounters, opts: RunJobOptions, tasks: TaskStore, runs: RunStore): Promise<void> {
  const runState: Record<string, unknown> = {};
  if (opts.mode === 'incr') runState.watermark = await tasks.getState(spec.task.id, 'watermark');
  const parts: RunParts = { task: spec.task, params: spec.params, source: spec.source, target: spec.target, mode: opts.mode, runState, logger: opts.logger, signal: opts.signal };
  // Threads start (and load the plugins) while the main thread validates and plans.
  const pool = new ShardPool(runId, spec.params.worker_num, [spec.readerPlugin.type, spec.writerPlugin.type]);
  try {
    await copyOnPool(spec, parts, pool, { runId, counters, opts, tasks, runs });
  } finally {
    await pool.close();
  }
}

/** Validate, plan, run the shards on `pool`, and finish (post SQL, watermark). */
async function copyOnPool(spec: JobSpec, parts: RunParts, pool: ShardPool, run: { runId: number; counters: RunCounters; opts: RunJobOptions; tasks: TaskStore; runs: RunStore }): Promise<void> {
  const { runId, counters, opts } = run;
  const reader = spec.readerPlugin.reader!;
  const writer = spec.writerPlugin.writer!;
  await reader.validate?.(readerContext(parts));
  await writer.validate?.(writerContext(parts));
  Object.assign(parts.runState, await reader.prepare?.(readerContext(parts)));
  const planned = await reader.plan(readerContext(parts));
  counters.shardsTotal = planned.length;
  const shards = opts.resume ? await skipFinishedShards(planned, spec, runId, counters, opts, run.runs) : planned;
  const side = (type: string, db: string, table: string) => `${type} ${db}${table ? `.${table}` : ''}`;
  opts.logger.info(`task ${spec.task.id} run ${runId}: ${side(spec.task.from_db_type, spec.task.from_db, spec.task.from_table)} -> ${side(spec.task.to_db_type, spec.task.to_db, spec.task.to_table)}, ${shards.length} shards, worker_num ${spec.params.worker_num}`);
  if (opts.signal.aborted) throw new CancelledError(`task ${spec.task.id}: cancelled before copying`);
  await writer.before?.(writerContext(parts));
  const direct = await useDirectCopy(spec, parts);
  if (direct) opts.logger.info(`task ${spec.task.id}: source and target share a server: copying inside it (params.direct_copy=false to stream through goshift)`);
  if (shards.length > 0) await runShards(spec, runId, shards, parts.runState, counters, opts, run.runs, pool, direct);
  await writer.after?.(writerContext(parts));
  if (typeof parts.runState.next_watermark === 'string') await run.tasks.setState(spec.task.id, 'watermark', parts.runState.next_watermark);
}

/** Whether the run copies inside the store: same plugin both sides, allowed by params, and supported. */
async function useDirectCopy(spec: JobSpec, parts: RunParts): Promise<boolean> {
  const direct = spec.readerPlugin.direct;
  if (!direct || spec.readerPlugin !== spec.writerPlugin || spec.params.direct_copy === false) return false;
  return direct.supports(readerContext(parts), writerContext(parts));
}

async function runShards(spec: JobSpec, runId: number, shards: Shard[], runState: Record<string, unknown>, counters: RunCounters, opts: RunJobOptions, runs: RunStore, pool: ShardPool, direct: boolean): Promise<void> {
  const live = new Map<string, { rowsRead: number; rowsWritten: number; rowsFailed: number; bytes: number }>();
  // Progress messages may arrive after their shard's result: those are already counted.
  const finished = new Set<string>();
  const done = { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
  const refresh = (): RunCounters => {
    const sum = { ...done };
    for (const c of live.values()) {
      sum.rowsRead += c.rowsRead;
      sum.rowsWritten += c.rowsWritten;
      sum.rowsFailed += c.rowsFailed;
      sum.bytes += c.bytes;
    }
    return Object.assign(counters, sum);
  };
  const estimated = shards.reduce((n, s) => n + (s.estimatedRows ?? 0), 0);
  const progress = new ProgressReporter(opts.logger, refresh, estimated, opts.tty);
  const events: PoolEvents = {
    onProgress(msg) {
      if (msg.runId !== runId || finished.has(msg.shardId)) return;
      const c = live.get(msg.shardId) ?? { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
      c.rowsRead += msg.rowsRead;
      c.rowsWritten += msg.rowsWritten;
      c.rowsFailed += msg.rowsFailed;
      c.bytes += msg.bytes;
      live.set(msg.shardId, c);
    },
    onShardRetry(shard, result, attempt) {
      live.delete(shard.id);
      opts.logger.warn(`task ${spec.task.id} shard ${shard.id}: ${result.error?.message}; retrying (attempt ${attempt + 1} of ${spec.params.retries + 1})`);
    },
    async onShardDone(shard, result) {
      finished.add(shard.id);
      live.delete(shard.id);
      done.rowsRead += result.rowsRead;
      done.rowsWritten += result.rowsWritten;
      done.rowsFailed += result.rowsFailed;
      done.bytes += result.bytes;
      if (!result.error) counters.shardsDone++;
      await runs.checkpoint(runId, spec.task.id, shard, result.error ? 'failed' : 'done', result.rowsRead, result.rowsWritten);
    },
  };
  const onAbort = (): void => {
    opts.logger.warn(`task ${spec.task.id}: interrupted, stopping after in-flight batches`);
    pool.cancel();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const persist = setInterval(() => void runs.progress(runId, refresh()).catch(() => undefined), 5000);
  persist.unref();
  progress.start();
  let failure;
  try {
    failure = await pool.run(shards, {
      runId, task: spec.task, params: spec.params, source: spec.source, target: spec.target, mode: opts.mode, runState,
      log: { level: opts.config.log.level, dir: opts.config.log.dir }, direct,
    }, events);
  } finally {
    clearInterval(persist);
    opts.signal.removeEventListener('abort', onAbort);
    progress.stop();
    // Late progress messages must not change counters after the shards reported their totals.
    live.clear();
    refresh();
  }
  if (opts.signal.aborted) throw new CancelledError(`task ${spec.task.id}: cancelled after ${counters.shardsDone}/${counters.shardsTotal} shards`);
  if (failure?.error) throw deserializeError(failure.error);
}

/** `--resume`: drop the shards the last unfinished run completed, carrying their checkpoints over. */
async function skipFinishedShards(planned: Shard[], spec: JobSpec, runId: number, counters: RunCounters, opts: RunJobOptions, runs: RunStore): Promise<Shard[]> {
  const previous = await runs.lastUnfinished(spec.task.id, runId);
  if (previous === undefined) {
    opts.logger.info(`task ${spec.task.id}: nothing to resume (the last run did not fail), copying everything`);
    return planned;
  }
  const done = await runs.doneShards(previous);
  const remaining: Shard[] = [];
  for (const shard of planned) {
    const finished = done.get(shardKey(shard));
    if (!finished) {
      remaining.push(shard);
      continue;
    }
    counters.shardsDone++;
    await runs.checkpoint(runId, spec.task.id, shard, 'done', finished.rowsRead, finished.rowsWritten);
  }
  opts.logger.info(`task ${spec.task.id}: resuming run ${previous}: ${planned.length - remaining.length} of ${planned.length} shards already done`);
  return remaining;
}

/**
 * One run of a task at a time: a live run on this host (or any run on another host, which cannot
 * be checked) refuses the new one unless `--force`; a run whose process died on this host is
 * closed as failed so the task does not stay "running" forever.
 */
async function refuseConcurrentRun(taskId: number, runId: number, runs: RunStore, opts: RunJobOptions): Promise<void> {
  for (const other of await runs.otherRunning(taskId, runId)) {
    const here = other.host === os.hostname();
    if (here && !processAlive(other.pid)) {
      await runs.abandon(other.id, `abandoned: process ${other.pid} on ${other.host} is gone`);
      opts.logger.warn(`task ${taskId}: run ${other.id} (pid ${other.pid}) died without finishing; recorded it as failed`);
      continue;
    }
    if (opts.force) continue;
    throw new TaskError(`task ${taskId} is already running: run ${other.id} (pid ${other.pid} on ${other.host}, started ${other.started_at}); wait for it, or pass --force if it is dead`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function toGoshiftError(err: unknown): GoshiftError {
  if (err instanceof GoshiftError) return err;
  return new GoshiftError((err as Error)?.message ?? String(err), { cause: err });
}
