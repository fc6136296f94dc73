import type { TaskOptions } from '../cli-args';
import { KeysNotCopiedError } from '../errors';
import { MetaDb, openMetaDb } from '../meta/meta-db';
import { TaskStatus } from '../meta/task-row';
import { runJob } from '../runtime/job';
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
    const outcome = await runJob({
      config, meta, taskId: opts.id, mode: opts.mode, force: opts.force, restart: opts.restart, keys: opts.keys, usedEnv: opts.usedEnv, logger, signal: abort.signal,
      onRunOpened: (id) => (runId = id),
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

/** Most time the second Ctrl-C waits for the run history before exiting, in ms. */
const forcedExitWaitMs = 3000;

/** Record a run the user forced to exit as cancelled (and its task as `3`), within a bounded wait. */
async function recordForcedExit(meta: MetaDb, taskId: number, runId: number | undefined): Promise<void> {
  if (runId === undefined) return;
  const record = (async () => {
    await meta.query("UPDATE goshift_run SET status = 'cancelled', ended_at = NOW(3), error_text = 'exited at once on a second interrupt' WHERE id = ? AND status = 'running'", [runId]);
    await meta.query("UPDATE task_def_sync_manager SET task_status = ? WHERE id = ? AND task_status = ?", [TaskStatus.cancelled, taskId, TaskStatus.running]);
  })();
  await Promise.race([record.catch(() => undefined), new Promise((r) => setTimeout(r, forcedExitWaitMs))]);
}
