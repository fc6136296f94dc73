/**
 * One run of a task, end to end, in three rooms: liveness (`job-liveness.ts`: the lease's
 * heartbeat, the final task status), prepare (`job-prepare.ts`: validate, create the target, plan,
 * resume) and execute (`job-execute.ts`: the shards on the pool, then what a finished copy
 * leaves). The values they share are one {@link RunContext} (`job-options.ts`), built here once.
 */
import { CancelledError, GoshiftError } from '../errors';
import { withMetaRetry } from '../meta/meta-retry';
import { RunStatus, RunStore } from '../meta/run-store';
import { TaskStatus } from '../meta/task-row';
import { checkTaskRow } from '../meta/task-row-check';
import { TaskStore } from '../meta/task-store';
import type { RunParts } from './context';
import { executeRun } from './job-execute';
import { startHeartbeat, taskStatusOf } from './job-liveness';
import { CopyOptions, localBackend, RunContext, RunJobOptions, RunOutcome } from './job-options';
import { prepareRun } from './job-prepare';
import { JobRun } from './job-run';
import { JobSpec, resolveJob } from './job-spec';
import type { RunSummary } from './progress';

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
  const stopHeartbeat = startHeartbeat(opts.meta, run);
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
    stopHeartbeat();
  }
  run.end(status);
  // The outcome must reach the run history even when the metadata database is away for a moment.
  await withMetaRetry(opts.config, `recording run ${runId} as ${status}`, () => runs.finish(runId, status, run.counters(), error ? error.message : null));
  if (markedRunning) await withMetaRetry(opts.config, `setting task ${taskId} status`, () => tasks.setStatus(taskId, taskStatusOf(status)));
  const summary: RunSummary = { ...run.counters(), taskId, runId, status, startedAt: run.startedAt, endedAt: run.endedAt! };
  return { summary, error, keysMissing: status === 'success' ? run.keysMissing : [] };
}

/** Build the run's context once (plugin context parts, the shard scheduler), then prepare and execute. */
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
  const ctx: RunContext = { spec, parts, run, pool, opts, tasks };
  try {
    return await executeRun(ctx, await prepareRun(ctx));
  } finally {
    await pool.close();
  }
}

function toGoshiftError(err: unknown): GoshiftError {
  if (err instanceof GoshiftError) return err;
  return new GoshiftError((err as Error)?.message ?? String(err), { cause: err });
}
