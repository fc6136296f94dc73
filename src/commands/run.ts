import type { TaskOptions } from '../cli-args';
import { KeysNotCopiedError } from '../errors';
import { MetaDb, openMetaDb } from '../meta/meta-db';
import { TaskStatus } from '../meta/task-row';
import { runJob } from '../runtime/job';
import type { ShardBackend } from '../runtime/job-options';
import { RunStore } from '../meta/run-store';
import { TaskStore } from '../meta/task-store';
import type { GoshiftConfig } from '../config/schema';
import type { Logger } from 'winston';
import { formatSummary } from '../runtime/progress';
import { setupCommand } from './setup';

/** Options of `goshift run`. */
export type RunCommandOptions = TaskOptions;

/**
 * `goshift run`: run one task; Ctrl-C / SIGTERM cancel it (a second Ctrl-C exits at once).
 * @returns the process exit code: 0 only on success
 * @throws KeysNotCopiedError (exit 8) when a `--key` run succeeded but some named keys were not copied
 */
export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config);
  const abort = new AbortController();
  let runId: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      // Second Ctrl-C: exit now, but record the run as cancelled first (bounded wait).
      logger.warn(`received ${signal} again: exiting now`);
      void recordForcedExit(meta, opts.id, runId).finally(() => process.exit(130));
      return;
    }
    // Abort first: the run stops its progress bar synchronously, so this line is not drawn over.
    abort.abort();
    logger.warn(`received ${signal}: cancelling task ${opts.id} (press Ctrl-C again to exit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const backend = await distributedBackend(opts, config, meta, logger);
    const outcome = await runJob({
      config, meta, taskId: opts.id, mode: opts.mode, force: opts.force, restart: opts.restart, keys: opts.keys, usedEnv: opts.usedEnv, logger, signal: abort.signal,
      onRunOpened: (id) => (runId = id), backend,
    });
    process.stdout.write(`${formatSummary(outcome.summary)}\n`);
    if (outcome.error) {
      logger.debug(outcome.error.stack ?? '');
      throw outcome.error;
    }
    if (outcome.keysMissing.length) {
      const n = opts.keys.length;
      throw new KeysNotCopiedError(`task ${opts.id}: ${outcome.keysMissing.length} of ${n} named key${n === 1 ? '' : 's'} not copied: ${outcome.keysMissing.map((k) => JSON.stringify(k)).join(', ')}`);
    }
    // params.verify: compare target and source now (exit 9 when they differ).
    if (!opts.keys.length) await (await import('./verify')).verifyAfterRun(config, meta, logger, opts);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await meta.end();
  }
}

/**
 * The queue backend when the run is distributed (`--distributed`, or `params.distributed: true`
 * in the task row), after checking the config's queue section and that its Redis answers.
 * @throws ConfigError (one line) when the section is missing or invalid, or the Redis is unreachable
 */
async function distributedBackend(opts: RunCommandOptions, config: GoshiftConfig, meta: MetaDb, logger: Logger): Promise<ShardBackend | undefined> {
  const byParams = !opts.distributed && (await wantsDistributed(meta, opts.id));
  if (!opts.distributed && !byParams) return undefined;
  const { queueConfigOf } = await import('../distributed/queue-config');
  const { checkQueueReachable } = await import('../distributed/queue-link');
  const { queueBackend } = await import('../distributed/coordinator');
  const queue = queueConfigOf(config, byParams ? `task ${opts.id} (params.distributed)` : '--distributed');
  await checkQueueReachable(queue, config.source);
  return queueBackend(queue, logger);
}

/** Whether the task row asks for the queue (`params.distributed: true`); false when unreadable (the run reports that). */
async function wantsDistributed(meta: MetaDb, taskId: number): Promise<boolean> {
  const row = await new TaskStore(meta).getUnchecked(taskId).catch(() => undefined);
  try {
    return Boolean(row?.params && (JSON.parse(row.params) as { distributed?: unknown }).distributed === true);
  } catch {
    return false;
  }
}

/** Most time the second Ctrl-C waits for the run history before exiting, in ms. */
const forcedExitWaitMs = 3000;

/** Record a run the user forced to exit as cancelled (and its task as `3`), within a bounded wait. */
async function recordForcedExit(meta: MetaDb, taskId: number, runId: number | undefined): Promise<void> {
  if (runId === undefined) return;
  const record = (async () => {
    await new RunStore(meta).cancelForcedExit(runId);
    await new TaskStore(meta).setStatusIf(taskId, TaskStatus.cancelled, TaskStatus.running);
  })();
  await Promise.race([record.catch(() => undefined), new Promise((r) => setTimeout(r, forcedExitWaitMs))]);
}
