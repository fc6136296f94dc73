import type { TaskOptions } from '../cli-args';
import { openMetaDb } from '../meta/meta-db';
import { runJob } from '../runtime/job';
import { formatSummary } from '../runtime/progress';
import { setupCommand } from './setup';

/** Options of `goshift run`. */
export type RunCommandOptions = TaskOptions;

/**
 * `goshift run`: run one task; Ctrl-C / SIGTERM cancel it (a second Ctrl-C exits at once).
 * @returns the process exit code: 0 only on success
 */
export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(130);
    logger.warn(`received ${signal}: cancelling task ${opts.id} (press Ctrl-C again to exit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await runJob({ config, meta, taskId: opts.id, mode: opts.mode, force: opts.force, resume: opts.resume, logger, signal: abort.signal });
    process.stdout.write(`${formatSummary(outcome.summary)}\n`);
    if (outcome.error) {
      logger.debug(outcome.error.stack ?? '');
      throw outcome.error;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await meta.end();
  }
}
