/**
 * `/metrics` of `goshift serve` in Prometheus text format (prom-client). Each scrape reads the run
 * history (`goshift_run`), so the figures cover every run of the metadata database, whichever
 * process ran it. Durations are whole-run durations: goshift_run records no per-shard start time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetaDb } from '../meta/meta-db';
import { RunQueries } from '../meta/run-queries';
import type { Scheduler } from './scheduler';

/** The metrics registry and the step that refreshes it from the metadata database before a scrape. */
export interface GoshiftMetrics {
  registry: Registry;
  /** Read goshift_run and set every metric; call before `registry.metrics()`. */
  refresh(): Promise<void>;
}

/** Buckets of the run-duration histogram, in seconds (1 s to a day). */
const durationBuckets = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/** Create the registry with goshift's metrics. */
export function createMetrics(meta: MetaDb, scheduler?: Scheduler): GoshiftMetrics {
  const registry = new Registry();
  const perTask = (name: string, help: string): Counter<'task_id'> => new Counter({ name, help, labelNames: ['task_id'], registers: [registry] });
  const rowsRead = perTask('goshift_rows_read_total', 'Records read by the runs of a task (running runs: as of their last heartbeat).');
  const rowsWritten = perTask('goshift_rows_written_total', 'Records written by the runs of a task.');
  const rowsFailed = perTask('goshift_rows_failed_total', 'Records that failed (dirty records included) in the runs of a task.');
  const bytes = perTask('goshift_bytes_read_total', 'Bytes read by the runs of a task (the size of the records as read).');
  const runs = new Gauge({ name: 'goshift_runs', help: 'Runs recorded in goshift_run by task and status (a running run whose heartbeat lapsed counts as died).', labelNames: ['task_id', 'status'], registers: [registry] });
  const failures = perTask('goshift_run_failures_total', 'Runs of a task that ended failed (or died).');
  const duration = new Histogram({ name: 'goshift_run_duration_seconds', help: 'Duration of finished runs (start to end of the whole run).', labelNames: ['task_id', 'status'], buckets: durationBuckets, registers: [registry] });
  const lag = new Gauge({ name: 'goshift_stream_lag_seconds', help: 'Running -mode stream runs: time from the newest source change seen until it was written.', labelNames: ['task_id', 'run_id'], registers: [registry] });
  const scheduled = new Counter({ name: 'goshift_schedule_events_total', help: 'Due times of params.schedule since this server started, by what happened: started, skipped (a run was still going) or failed.', labelNames: ['task_id', 'action'], registers: [registry] });

  const refresh = async (): Promise<void> => {
    const { totals, byStatus, ended, streams } = await new RunQueries(meta).metricsRows();
    registry.resetMetrics();
    for (const t of totals) {
      const label = { task_id: String(t.task_id) };
      rowsRead.inc(label, Number(t.r));
      rowsWritten.inc(label, Number(t.w));
      rowsFailed.inc(label, Number(t.f));
      bytes.inc(label, Number(t.b));
    }
    for (const s of byStatus) {
      runs.set({ task_id: String(s.task_id), status: s.s }, Number(s.n));
      if (s.s === 'failed' || s.s === 'died') failures.inc({ task_id: String(s.task_id) }, Number(s.n));
    }
    for (const e of ended) duration.observe({ task_id: String(e.task_id), status: e.status }, Math.max(0, Number(e.secs)));
    for (const s of streams) lag.set({ task_id: String(s.task_id), run_id: String(s.id) }, Number(s.lag_ms) / 1000);
    for (const c of scheduler?.eventCounts() ?? []) scheduled.inc({ task_id: String(c.taskId), action: c.action }, c.count);
  };
  return { registry, refresh };
}
