import type { WorkerCommandOptions } from '../cli-args';
import { openMetaDb } from '../meta/meta-db';
import { queueConfigOf, queueWhere } from '../distributed/queue-config';
import { checkQueueReachable } from '../distributed/queue-link';
import { ShardWorker } from '../distributed/worker-loop';
import { setupCommand } from './setup';

/**
 * `goshift worker -e <env> [--concurrency K]`: take shard jobs from the config's queue until
 * Ctrl-C / SIGTERM (shards in flight finish first; a second signal exits at once and their jobs
 * move to another worker after the stalled interval).
 * @returns 0 after a clean stop
 */
export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const queue = queueConfigOf(config, 'goshift worker');
  await checkQueueReachable(queue, config.source);
  const meta = await openMetaDb(config);
  const worker = new ShardWorker({ config, queue, meta, logger, concurrency: opts.concurrency, usedEnv: opts.usedEnv });
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        logger.warn(`worker ${worker.name}: received ${signal} again: exiting now (its shard jobs go to other workers)`);
        process.exit(130);
      }
      logger.info(`worker ${worker.name}: received ${signal}: finishing the shards in flight (Ctrl-C again exits at once)`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await worker.ready();
    logger.info(`worker ${worker.name}: taking shard jobs from ${queueWhere(queue)}, ${opts.concurrency} at once`);
    await stopped;
  } finally {
    await worker.close();
    await meta.end();
  }
  logger.info(`worker ${worker.name}: stopped`);
  return 0;
}
