/**
 * The liveness of a run: its heartbeat (which renews the lease and writes the counters to the run
 * record every few seconds) and the task status its end leaves.
 */
import type { MetaDb } from '../meta/meta-db';
import { heartbeatEveryMs, renewRunLease } from '../meta/run-lease';
import { RunStatus, RunStore } from '../meta/run-store';
import { TaskStatus } from '../meta/task-row';
import type { JobRun } from './job-run';

/**
 * Renew the lease of `run` and record its counters every {@link heartbeatEveryMs} until the
 * returned function is called. A failed beat is retried with the next one.
 */
export function startHeartbeat(meta: MetaDb, run: JobRun): () => void {
  const runs = new RunStore(meta);
  const heartbeat = setInterval(() => {
    void renewRunLease(meta, run.runId).then(() => runs.progress(run.runId, run.counters(), run.feedLagMs())).catch(() => undefined);
  }, heartbeatEveryMs);
  heartbeat.unref();
  return () => clearInterval(heartbeat);
}

/** goshift's task_status code for a run's final status. */
export function taskStatusOf(status: RunStatus): (typeof TaskStatus)[keyof typeof TaskStatus] {
  if (status === 'success') return TaskStatus.success;
  if (status === 'cancelled' || status === 'stopped') return TaskStatus.cancelled;
  return TaskStatus.failed;
}
