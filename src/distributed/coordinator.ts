import type { Logger } from 'winston';
import { TaskError } from '../errors';
import type { MetaDb } from '../meta/meta-db';
import { acquireRunLease, reattachRunLease } from '../meta/run-lease';
import type { ShardBackend } from '../runtime/job-options';
import type { QueueConfig } from './queue-config';
import { queueClient } from './queue-link';
import { QueuePool, withRunsQueue } from './queue-pool';
import { runJobId, taskRunKey } from './wire';
import { Job } from 'bullmq';

/**
 * The `--distributed` backend of a run: its shards go to the queue (see {@link QueuePool}). A run
 * whose shard jobs are still queued while its coordinator is dead is re-attached to (same run id
 * and run record) instead of starting another run.
 */
export function queueBackend(q: QueueConfig, logger: Logger): ShardBackend {
  // openRun comes first: it gives the metadata pool and the task the scheduler records into.
  let reattached = false;
  let taskId = 0;
  let metaDb: MetaDb | undefined;
  return {
    async openRun(meta, req) {
      taskId = req.taskId;
      metaDb = meta;
      const redis = queueClient(q, () => undefined);
      try {
        const pointer = await redis.get(taskRunKey(q, req.taskId));
        if (pointer) {
          const runId = Number(pointer);
          const parent = await withRunsQueue(q, (runs) => Job.fromId(runs, runJobId(runId)));
          if (parent && (await reattachRunLease(meta, runId, req.taskId))) {
            reattached = true;
            logger.warn(`task ${req.taskId}: re-attaching to run ${runId}: its coordinator is gone and its shard jobs are still in queue ${q.name}`);
            return runId;
          }
          // The run ended without its coordinator (or was closed since): its jobs are stale.
          if (parent) await withRunsQueue(q, async () => parent.remove({ removeChildren: true })).catch(() => undefined);
          await redis.del(taskRunKey(q, req.taskId));
        }
      } finally {
        redis.disconnect();
      }
      return acquireRunLease(meta, req);
    },
    check(spec, mode, keys) {
      if (mode === 'stream') throw new TaskError(`task ${spec.task.id}: --distributed runs copies (-mode init or incr); -mode stream follows changes on the local pool (run it without --distributed and without params.distributed)`);
      if (keys.length) throw new TaskError(`task ${spec.task.id}: --key copies a few keys on the local pool; run it without --distributed`);
    },
    createScheduler(runId, inFlight) {
      return new QueuePool(runId, inFlight, { queue: q, taskId, meta: metaDb!, logger, reattached });
    },
  };
}
