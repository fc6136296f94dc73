import type { Shard } from '../sdk';
import type { Logger } from 'winston';
import type { GoshiftConfig } from '../config/schema';
import { CancelledError, deserializeError, DirtyLimitError, GoshiftError, TaskError } from '../errors';
import type { MetaDb } from '../meta/meta-db';
import { PositionStore } from '../meta/position-store';
import { withMetaRetry } from '../meta/meta-retry';
import { acquireRunLease, heartbeatEveryMs, LeaseRequest, renewRunLease } from '../meta/run-lease';
import { RunStatus, RunStore } from '../meta/run-store';
import { TaskStatus } from '../meta/task-row';
import { checkTaskRow } from '../meta/task-row-check';
import { TaskStore } from '../meta/task-store';
import { readKinds, writeKinds, writerDeletes } from '../records/bridge';
import { copyIdentity } from '../resume/identity';
import { readerContext, RunParts, writerContext } from './context';
import { checkTargetColumns } from './column-check';
import { createTarget } from './create-target';
import { dirtyCommand, dirtyLimitLine, errorLimits, limitsText } from './dirty-budget';
import { DirtyStore } from '../meta/dirty-store';
import { envOfConfigFile } from '../config/load';
import { JobRun } from './job-run';
import { JobSpec, resolveJob } from './job-spec';
import { PoolEvents, ShardJob, ShardPool, ShardScheduler } from './pool';
import { ProgressReporter, RunSummary } from './progress';
import { allPlugins } from '../registry';
import { FeedMeter } from './feed-meter';
import { limitText, RunRateLimiter } from './rate-limit';
import { applyResume, decideResume, describeResume, ResumeDecision } from './resume';

/** How often a run with unbounded shards asks its reader for new shards, in ms. */
const discoverEveryMs = 5000;

/** Options of one run. */
export interface RunJobOptions {
  config: GoshiftConfig;
  meta: MetaDb;
  taskId: number;
  /** `init` (full copy, default), `incr` (changes since the stored watermark) or `stream`. */
  mode: string;
  /** Run an offline task anyway, or beside a live run. */
  force: boolean;
  /** Forget the positions of an interrupted copy and copy everything. Default false: resume. */
  restart?: boolean;
  /**
   * Copy only these keys (`--key`). Default: everything. Such a run neither resumes an interrupted
   * copy nor saves or clears positions, and names the keys it did not copy.
   */
  keys?: string[];
  /** Honour goshift's bare env-name form in the config (workers load the config themselves). */
  usedEnv?: boolean;
  logger: Logger;
  /** Fires on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Show a live bar (default: when stderr is a TTY). */
  tty?: boolean;
  /** Called once the run record exists (the CLI uses it to record a forced exit). */
  onRunOpened?(runId: number): void;
  /** Where the shards run. Default: the local piscina pool ({@link ShardPool}). */
  backend?: ShardBackend;
}

/**
 * Where a run's shards run, and how its run record is opened: the local pool by default, the
 * queue (`--distributed`, src/distributed/) when one machine is not enough.
 */
export interface ShardBackend {
  /**
   * Open the run record holding the task's lease. Default: a new run ({@link acquireRunLease}).
   * The queue re-attaches to a run whose shards are still queued.
   */
  openRun(meta: MetaDb, req: LeaseRequest): Promise<number>;
  /** Refuse what this backend cannot run (before anything changes). */
  check?(spec: JobSpec, mode: string, keys: string[]): void;
  /** The scheduler that runs the shards of run `runId`, `inFlight` at once. */
  createScheduler(runId: number, inFlight: number, preload: string[]): ShardScheduler;
}

/** The default backend: shards on this machine's piscina threads. */
const localBackend: ShardBackend = {
  openRun: (meta, req) => acquireRunLease(meta, req),
  createScheduler: (runId, inFlight, preload) => new ShardPool(runId, inFlight, preload),
};

/** A finished run: its summary and, when it did not succeed, the error. */
export interface RunOutcome {
  summary: RunSummary;
  error?: GoshiftError;
  /** `--key`: the named keys the run did not copy (empty when all were copied). */
  keysMissing: string[];
}

/**
 * Run one task end to end: load it, take its lease (a run record with a heartbeat), resolve and
 * validate it, plan shards, resume what an interrupted copy left, copy on the worker pool, and
 * close the run with a status. Never throws for a failed run: the error comes back in the outcome
 * (an unknown task id or an unreachable metadata db throw, with no run record).
 */
export async function runJob(opts: RunJobOptions): Promise<RunOutcome> {
  const { logger, taskId } = opts;
  const tasks = new TaskStore(opts.meta);
  const runs = new RunStore(opts.meta);
  // The task must exist to be run (no run record otherwise); its columns are checked inside the run.
  const storedRow = await tasks.getUnchecked(taskId);
  const backend = opts.backend ?? localBackend;
  const runId = await backend.openRun(opts.meta, {
    taskId, mode: opts.mode, cmd: 'run', force: opts.force,
    onAbandoned: (id, why) => logger.warn(`task ${taskId}: run ${id} ${why}; recorded it as failed`),
  });
  opts.onRunOpened?.(runId);
  const run = new JobRun(taskId, runId);
  const heartbeat = setInterval(() => {
    void renewRunLease(opts.meta, runId).then(() => runs.progress(runId, run.counters(), run.feedLagMs())).catch(() => undefined);
  }, heartbeatEveryMs);
  heartbeat.unref();
  let markedRunning = false;
  let status: RunStatus = 'failed';
  let error: GoshiftError | undefined;
  try {
    const spec = resolveJob(opts.config, checkTaskRow(storedRow), { force: opts.force });
    // The run starts when it is about to change the target (pre_sql, then the shards): only then
    // is the task marked running. Anything refused before leaves task_status as it was.
    const start = async (): Promise<void> => {
      if (markedRunning) return;
      await tasks.setStatus(taskId, TaskStatus.running);
      markedRunning = true;
    };
    status = await copy(spec, run, { ...opts, onStart: start }, tasks);
  } catch (err) {
    error = toGoshiftError(err);
    status = error instanceof CancelledError ? 'cancelled' : 'failed';
    if (!markedRunning && !(error instanceof CancelledError)) {
      error.message += ` (refused before it started: nothing was copied, task status left at ${storedRow.task_status ?? 'NULL'})`;
    }
  } finally {
    clearInterval(heartbeat);
  }
  run.end(status);
  // The outcome must reach the run history even when the metadata database is away for a moment.
  await withMetaRetry(opts.config, `recording run ${runId} as ${status}`, () => runs.finish(runId, status, run.counters(), error ? error.message : null));
  if (markedRunning) await withMetaRetry(opts.config, `setting task ${taskId} status`, () => tasks.setStatus(taskId, taskStatusOf(status)));
  const summary: RunSummary = { ...run.counters(), taskId, runId, status, startedAt: run.startedAt, endedAt: run.endedAt! };
  return { summary, error, keysMissing: status === 'success' ? run.keysMissing : [] };
}

/** goshift's task_status code for a run's final status. */
function taskStatusOf(status: RunStatus): (typeof TaskStatus)[keyof typeof TaskStatus] {
  if (status === 'success') return TaskStatus.success;
  if (status === 'cancelled' || status === 'stopped') return TaskStatus.cancelled;
  return TaskStatus.failed;
}

/** Options of the copy phase: the run's options and the step that marks the task running. */
type CopyOptions = RunJobOptions & { onStart(): Promise<void> };

async function copy(spec: JobSpec, run: JobRun, opts: CopyOptions, tasks: TaskStore): Promise<RunStatus> {
  const runState: Record<string, unknown> = {};
  if (opts.mode === 'incr') runState.watermark = await tasks.getState(spec.task.id, 'watermark');
  // Threads start (and load the plugins) while the main thread validates and plans.
  (opts.backend ?? localBackend).check?.(spec, opts.mode, opts.keys ?? []);
  const pool = (opts.backend ?? localBackend).createScheduler(run.runId, spec.params.worker_num, [spec.readerPlugin.type, spec.writerPlugin.type]);
  const parts: RunParts = {
    task: spec.task, params: spec.params, source: spec.source, target: spec.target, mode: opts.mode, runState,
    logger: opts.logger, signal: opts.signal, shardsPerThread: pool.shardsPerThread, keys: opts.keys ?? [],
  };
  try {
    return await copyOnPool(spec, parts, pool, run, opts, tasks);
  } finally {
    await pool.close();
  }
}

/** Validate, plan, resume, run the shards on `pool`, and finish (post SQL, watermark, positions). */
async function copyOnPool(spec: JobSpec, parts: RunParts, pool: ShardScheduler, run: JobRun, opts: CopyOptions, tasks: TaskStore): Promise<RunStatus> {
  const { task } = spec;
  const reader = spec.readerPlugin.reader!;
  const writer = spec.writerPlugin.writer!;
  const positions = new PositionStore(opts.meta);
  const runs = new RunStore(opts.meta);
  const keys = opts.keys ?? [];
  if (keys.length) checkKeysRun(spec);
  checkStreamRun(spec, opts.mode);
  // The cancel signal covers the whole run: it is checked between every step before the copy.
  const step = async <T>(fn: () => Promise<T> | T | undefined): Promise<T | undefined> => {
    if (opts.signal.aborted) throw new CancelledError(`task ${task.id}: cancelled before copying`);
    const out = await fn();
    if (opts.signal.aborted) throw new CancelledError(`task ${task.id}: cancelled before copying`);
    return out;
  };
  await step(() => reader.validate?.(readerContext(parts)));
  if (spec.params.create_target && (await step(() => createTarget(spec, readerContext(parts), writerContext(parts), true)))) {
    // Creating the target changes it: the run starts here.
    await step(() => opts.onStart());
    const ddl = await step(() => createTarget(spec, readerContext(parts), writerContext(parts), false));
    opts.logger.info(`task ${task.id}: created the target (params.create_target): ${ddl?.split('\n')[0]} ...`);
  }
  await step(() => writer.validate?.(writerContext(parts)));
  await step(() => checkTargetColumns(spec, readerContext(parts), writerContext(parts)));
  Object.assign(parts.runState, await step(() => reader.prepare?.(readerContext(parts))));
  const planned = (await step(() => reader.plan(readerContext(parts))))!;
  run.addPlanned(planned.length);
  const identity = copyIdentity(task, spec.params, opts.mode);
  // A `--key` run is beside the task's full copy: it neither resumes nor forgets its positions.
  const decision: ResumeDecision = keys.length ? { saved: new Map() } : await decideResume(task.id, identity, Boolean(opts.restart), { positions, tasks });
  if (decision.message) opts.logger.warn(decision.message);
  const resumed = applyResume(planned, decision.saved);
  if (decision.saved.size > 0) describeResume(task.id, resumed, planned.length, opts.logger);
  // A run re-attached to (the queue's coordinator restarted) finds its own positions: what it
  // copied before counts as copied by this run, not skipped.
  const ours = (fingerprint: string): boolean => decision.saved.get(fingerprint)?.runId === run.runId;
  for (const { shard, saved } of resumed.done) {
    if (ours(saved.fingerprint)) run.adopted(saved, true);
    else run.skipped(saved.rowsRead, true);
    await runs.checkpoint(run.runId, task.id, shard, 'done', ours(saved.fingerprint) ? saved.rowsRead : 0, ours(saved.fingerprint) ? saved.rowsWritten : 0);
  }
  for (const job of resumed.jobs) {
    if (ours(job.fingerprint)) run.adopted(job.base, false);
    else run.skipped(job.base.rowsRead, false);
  }
  const side = (type: string, db: string, table: string) => `${type} ${db}${table ? `.${table}` : ''}`;
  opts.logger.info(`task ${task.id} run ${run.runId}: ${side(task.from_db_type, task.from_db, task.from_table)} -> ${side(task.to_db_type, task.to_db, task.to_table)}, ${planned.length} shards, worker_num ${spec.params.worker_num}`);
  await step(() => opts.onStart());
  await step(() => writer.before?.(writerContext(parts)));
  const direct = keys.length ? false : (await step(() => useDirectCopy(spec, parts)))!;
  if (direct) opts.logger.info(`task ${task.id}: source and target share a server: copying inside it (params.direct_copy=false to stream through goshift)`);
  const stopped = resumed.jobs.length > 0 ? await runShards(spec, parts, run, resumed.jobs, opts, pool, { direct, identity: identity.hash, decision, planned }) : false;
  if (stopped) return 'stopped';
  await writer.after?.(writerContext(parts));
  if (keys.length) {
    // Neither the watermark nor the positions belong to a run of a few keys.
    const restore = writeKinds(spec.writerPlugin).includes('entry');
    run.keysMissing = keys.filter((k) => !run.keysWritten.has(k));
    for (const k of run.keysMissing) opts.logger.warn(`task ${task.id}: key ${JSON.stringify(k)} was not found in the source (or had expired): not ${restore ? 'restored' : 'copied'}`);
    return 'success';
  }
  if (typeof parts.runState.next_watermark === 'string') await tasks.setState(task.id, 'watermark', parts.runState.next_watermark);
  await positions.clear(task.id);
  return 'success';
}

/**
 * `--key` names key-value entries: the task must read or write them (a redis source or target).
 * @throws TaskError naming the task's stores
 */
export function checkKeysRun(spec: JobSpec): void {
  if (readKinds(spec.readerPlugin).includes('entry') || writeKinds(spec.writerPlugin).includes('entry')) return;
  throw new TaskError(`task ${spec.task.id}: --key names keys of key-value entries, but this ${spec.task.from_db_type} -> ${spec.task.to_db_type} task copies rows on both sides (use it with a redis source or target)`);
}

/**
 * `-mode stream` needs a source that follows changes, and a target that can delete unless the task
 * keeps deleted records (`params.propagate_deletes: false`).
 * @throws TaskError naming the store that cannot
 */
export function checkStreamRun(spec: JobSpec, mode: string): void {
  if (mode !== 'stream') return;
  const { task } = spec;
  const followers = allPlugins().filter((p) => p.streams).map((p) => p.type);
  if (!spec.readerPlugin.streams) {
    throw new TaskError(`task ${task.id}: -mode stream follows changes of ${followers.join(' or ')} sources; a ${task.from_db_type} source can only be copied (-mode init) or, with params.diff_column, incrementally (-mode incr)`);
  }
  if (spec.params.propagate_deletes && !writerDeletes(spec.writerPlugin, spec.params)) {
    throw new TaskError(`task ${task.id}: -mode stream deletes in the target what the source deletes, but its ${task.to_db_type} target cannot delete (with these params); set params.propagate_deletes to false to keep deleted records there`);
  }
}

/** Whether the run copies inside the store (same-store direct copy, e.g. INSERT ... SELECT on one server). */
export async function useDirectCopy(spec: JobSpec, parts: RunParts): Promise<boolean> {
  const direct = spec.readerPlugin.direct;
  // A copy inside the server cannot be paced batch by batch, nor skip a refused row: a rate limit
  // or a dirty-record budget streams it.
  if (!direct || spec.readerPlugin !== spec.writerPlugin || spec.params.direct_copy === false || RunRateLimiter.wanted(spec.params) || errorLimits(spec.params)) return false;
  return direct.supports(readerContext(parts), writerContext(parts));
}

/**
 * Run the shards on the pool with a progress display and shard checkpoints.
 * @returns true when the run had unbounded shards and was stopped on purpose (drained, positions saved)
 */
async function runShards(
  spec: JobSpec, parts: RunParts, run: JobRun, jobs: ShardJob[], opts: RunJobOptions, pool: ShardScheduler,
  more: { direct: boolean; identity: string; decision: Awaited<ReturnType<typeof decideResume>>; planned: Shard[] },
): Promise<boolean> {
  const runs = new RunStore(opts.meta);
  const estimated = jobs.reduce((n, j) => n + (j.shard.unbounded ? 0 : Math.max(0, (j.shard.estimatedRows ?? 0) - j.base.rowsRead)), 0);
  const limiter = RunRateLimiter.wanted(spec.params) ? new RunRateLimiter(spec.params) : undefined;
  pool.limiter = limiter;
  const unbounded = jobs.some((j) => j.shard.unbounded);
  const feed = unbounded ? new FeedMeter(run) : undefined;
  const note = (): string => [feed?.note() ?? '', limiter?.holdingBack ? `held back by ${limitText(spec.params)}` : ''].filter(Boolean).join(', ');
  const progress = new ProgressReporter(opts.logger, () => run.counters(), estimated, opts.tty, unbounded ? 2000 : undefined, note);
  let stoppedShards = 0;
  const limits = errorLimits(spec.params);
  const env = envOfConfigFile(opts.config.source);
  const overBudget = (): string | undefined => limits && dirtyLimitLine(spec.task.id, limits, run.dirty(), run.counters().rowsRead, env);
  const events: PoolEvents = {
    onProgress: (msg) => {
      if (msg.runId !== run.runId) return;
      run.progress(msg);
      // The run's budget is spent over every shard: stop the others at once (a ratio waits for the end).
      if (limits && msg.rowsDirty && run.dirty() > limits.records) pool.cancel();
    },
    onShardRetry: (job, result, attempt, kept) => {
      run.retried(job.shard.id, kept);
      opts.logger.warn(`task ${spec.task.id} shard ${job.shard.id}: ${result.error?.message}; retrying from its last saved position (attempt ${attempt + 1})`);
    },
    onShardDone: async (job, result) => {
      run.shardDone(job.shard.id, result);
      if (result.stopped) stoppedShards++;
      await runs.checkpoint(run.runId, spec.task.id, job.shard, result.error ? 'failed' : 'done', result.rowsRead, result.rowsWritten)
        .catch((err) => opts.logger.warn(`task ${spec.task.id}: recording shard ${job.shard.id} in the run history failed: ${(err as Error).message}`));
    },
  };
  const onAbort = (): void => {
    progress.stop();
    opts.logger.warn(`task ${spec.task.id}: ${unbounded ? 'stopping: draining in-flight batches and saving positions' : 'interrupted, stopping after in-flight batches'}`);
    pool.cancel();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) onAbort();
  const discover = unbounded && spec.readerPlugin.reader!.discover ? startDiscovery(spec, parts, run, pool, more.planned, more.decision) : undefined;
  progress.start();
  let failure;
  try {
    failure = await pool.run(jobs, {
      runId: run.runId, configFile: opts.config.source, usedEnv: opts.usedEnv ?? true, task: spec.task, params: spec.params, mode: opts.mode,
      runState: parts.runState, log: { level: opts.config.log.level, dir: opts.config.log.dir }, direct: more.direct,
      shardsPerThread: pool.shardsPerThread, identity: more.identity, keys: parts.keys ?? [],
    }, events);
  } finally {
    if (discover) clearInterval(discover);
    opts.signal.removeEventListener('abort', onAbort);
    progress.stop();
    run.settle();
  }
  const c = run.counters();
  const realFailure = failure?.error && failure.error.name !== 'CancelledError' ? failure.error : undefined;
  if (opts.signal.aborted) {
    // A stopped change feed is a normal end, also when its feed shards had not started yet (a
    // first scan still running): positions are saved and the next run continues. A bounded copy
    // stopped half way is cancelled.
    if (unbounded && !realFailure) return true;
    if (unbounded && realFailure) throw deserializeError(realFailure);
    throw new CancelledError(`task ${spec.task.id}: cancelled after ${c.shardsDone}/${c.shardsTotal} shards`);
  }
  const overLine = overBudget();
  if (overLine) throw new DirtyLimitError(overLine);
  if (failure?.error) throw deserializeError(failure.error);
  const dirty = run.dirty();
  if (dirty > 0) {
    const first = await new DirtyStore(opts.meta).list(spec.task.id, run.runId, 3)
      .then((found) => found.map((d) => `key ${JSON.stringify(d.key)}: ${d.reason}`))
      .catch(() => [] as string[]);
    opts.logger.warn(`task ${spec.task.id}: ${dirty} dirty record${dirty === 1 ? '' : 's'} refused by the target and skipped (within ${limitsText(limits!)})${first.length ? `: ${first.join('; ')}` : ''}; list them with ${dirtyCommand(env, spec.task.id)}`);
  }
  return false;
}

/** Ask the reader for new shards every few seconds while unbounded shards run; add them to the pool. */
function startDiscovery(spec: JobSpec, parts: RunParts, run: JobRun, pool: ShardScheduler, planned: Shard[], decision: Awaited<ReturnType<typeof decideResume>>): NodeJS.Timeout {
  // Every planned shard is known, also those a resume skips as done: discover must not bring them back.
  const known = [...planned];
  let busy = false;
  const timer = setInterval(() => {
    if (busy || parts.signal.aborted) return;
    busy = true;
    void spec.readerPlugin.reader!.discover!(readerContext(parts), known)
      .then((found) => {
        const fresh = found.filter((s) => !known.some((k) => k.id === s.id));
        if (fresh.length === 0) return;
        known.push(...fresh);
        run.addPlanned(fresh.length);
        pool.add(applyResume(fresh, decision.saved).jobs);
        parts.logger.info(`task ${spec.task.id}: ${fresh.length} new shard(s): ${fresh.map((s) => s.id).join(', ')}`);
      })
      .catch((err) => parts.logger.warn(`task ${spec.task.id}: looking for new shards failed: ${(err as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, discoverEveryMs);
  timer.unref();
  return timer;
}

function toGoshiftError(err: unknown): GoshiftError {
  if (err instanceof GoshiftError) return err;
  return new GoshiftError((err as Error)?.message ?? String(err), { cause: err });
}
