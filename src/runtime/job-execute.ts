/**
 * The execute stage of a run: mark the task running, run the writer's `before`, copy the shards
 * (directly inside the store, or streamed through the pool with progress, retries, discovery and
 * dirty-record budgets), then the writer's `after`, and settle what a finished copy leaves
 * (watermark, positions, the `--key` report).
 */
import { CancelledError, deserializeError, DirtyLimitError } from '../errors';
import { DirtyStore } from '../meta/dirty-store';
import { PositionStore } from '../meta/position-store';
import { RunStore } from '../meta/run-store';
import { envOfConfigFile } from '../config/load';
import type { RunStatus } from '../meta/run-store';
import { writeKinds } from '../records/bridge';
import { readerContext, writerContext } from './context';
import { dirtyCommand, dirtyLimitLine, errorLimits, limitsText } from './dirty-budget';
import { FeedMeter } from './feed-meter';
import { useDirectCopy } from './job-checks';
import type { RunContext } from './job-options';
import { cancellableStep, Prepared } from './job-prepare';
import type { PoolEvents } from './pool';
import { ProgressReporter } from './progress';
import { limitText, RunRateLimiter } from './rate-limit';
import { applyResume } from './resume';

/** How often a run with unbounded shards asks its reader for new shards, in ms. */
const discoverEveryMs = 5000;

/** Copy what `prepared` left to copy, and finish (post SQL, watermark, positions). */
export async function executeRun(ctx: RunContext, prepared: Prepared): Promise<RunStatus> {
  const { spec, parts, run, opts, tasks } = ctx;
  const { task } = spec;
  const writer = spec.writerPlugin.writer!;
  const keys = opts.keys ?? [];
  const step = cancellableStep(ctx);
  const side = (type: string, db: string, table: string) => `${type} ${db}${table ? `.${table}` : ''}`;
  opts.logger.info(`task ${task.id} run ${run.runId}: ${side(task.from_db_type, task.from_db, task.from_table)} -> ${side(task.to_db_type, task.to_db, task.to_table)}, ${prepared.planned.length} shards, worker_num ${spec.params.worker_num}`);
  await step(() => opts.onStart());
  await step(() => writer.before?.(writerContext(parts)));
  const direct = keys.length ? false : (await step(() => useDirectCopy(spec, parts)))!;
  if (direct) opts.logger.info(`task ${task.id}: source and target share a server: copying inside it (params.direct_copy=false to stream through goshift)`);
  const stopped = prepared.resumed.jobs.length > 0 ? await runShards(ctx, prepared, direct) : false;
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
  await new PositionStore(opts.meta).clear(task.id);
  return 'success';
}

/**
 * Run the shards on the pool with a progress display and shard checkpoints.
 * @returns true when the run had unbounded shards and was stopped on purpose (drained, positions saved)
 */
async function runShards(ctx: RunContext, prepared: Prepared, direct: boolean): Promise<boolean> {
  const { spec, parts, run, opts, pool } = ctx;
  const jobs = prepared.resumed.jobs;
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
  const discover = unbounded && spec.readerPlugin.reader!.discover ? startDiscovery(ctx, prepared) : undefined;
  progress.start();
  let failure;
  try {
    failure = await pool.run(jobs, {
      runId: run.runId, configFile: opts.config.source, usedEnv: opts.usedEnv ?? true, task: spec.task, params: spec.params, mode: opts.mode,
      runState: parts.runState, log: { level: opts.config.log.level, dir: opts.config.log.dir }, direct,
      shardsPerThread: pool.shardsPerThread, identity: prepared.identity.hash, keys: parts.keys ?? [],
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
function startDiscovery(ctx: RunContext, prepared: Prepared): NodeJS.Timeout {
  const { spec, parts, run, pool } = ctx;
  const { decision } = prepared;
  // Every planned shard is known, also those a resume skips as done: discover must not bring them back.
  const known = [...prepared.planned];
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
