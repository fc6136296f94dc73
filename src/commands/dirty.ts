import type { DirtyCommandOptions } from '../cli-args';
import { TaskError } from '../errors';
import { DirtyStore, StoredDirty } from '../meta/dirty-store';
import { openMetaDb } from '../meta/meta-db';
import { RunStore } from '../meta/run-store';
import { TaskStore } from '../meta/task-store';
import { setupCommand } from './setup';

export type { DirtyCommandOptions };

/** Longest record shown in the text listing (`--json` prints whole records). */
const RECORD_CHARS = 300;

/** What `goshift dirty --json` prints. */
export interface DirtyReport {
  taskId: number;
  /** The run listed, or null when the task has no dirty record at all. */
  runId: number | null;
  /** Dirty records the run stored (may be more than `records`). */
  total: number;
  records: { key: StoredDirty['key']; shard: string; reason: string; record: StoredDirty['record']; at: string }[];
}

/**
 * `goshift dirty -e <env> -id <n> [--run <id>] [--limit N] [--json]`: list the records a run of the
 * task skipped as dirty (the target refused them for their data), from `goshift_dirty`: key, shard,
 * reason and the record. Default: the task's latest run that has dirty records.
 * @throws TaskError for an unknown task, or a run that is not the task's
 */
export async function dirtyCommand(opts: DirtyCommandOptions): Promise<number> {
  const { config } = setupCommand(opts);
  const meta = await openMetaDb(config);
  try {
    await new TaskStore(meta).getUnchecked(opts.id);
    const store = new DirtyStore(meta);
    if (opts.run !== undefined && !(await new RunStore(meta).isRunOf(opts.run, opts.id))) {
      throw new TaskError(`task ${opts.id} has no run ${opts.run} (its runs are in goshift_run; without --run the latest run with dirty records is listed)`);
    }
    const runId = opts.run ?? (await store.latestRun(opts.id)) ?? null;
    const total = runId === null ? 0 : await store.count(opts.id, runId);
    const found = runId === null ? [] : await store.list(opts.id, runId, opts.limit);
    const report: DirtyReport = {
      taskId: opts.id, runId, total,
      records: found.map((d) => ({ key: d.key, shard: d.shardId, reason: d.reason, record: d.record, at: d.at })),
    };
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDirty(report, opts.limit));
    return 0;
  } finally {
    await meta.end();
  }
}

/** The text listing: a header line, then per record its key, shard, time, reason and record. */
export function formatDirty(r: DirtyReport, limit: number): string {
  if (r.runId === null) return `task ${r.taskId}: no dirty records\n`;
  if (r.total === 0) return `task ${r.taskId} run ${r.runId}: no dirty records\n`;
  const lines = [`task ${r.taskId} run ${r.runId}: ${r.total} dirty record${r.total === 1 ? '' : 's'}${r.records.length < r.total ? ` (first ${r.records.length}; --limit ${r.total} lists all)` : ''}`];
  for (const d of r.records) {
    const record = JSON.stringify(d.record);
    lines.push(
      `key ${JSON.stringify(d.key)}  shard ${d.shard}  at ${d.at}`,
      `  reason  ${d.reason}`,
      `  record  ${record.length > RECORD_CHARS ? `${record.slice(0, RECORD_CHARS)}... (${record.length} chars; --json prints it whole)` : record}`,
    );
  }
  if (limit === 0) lines.push('(--limit 0: none listed)');
  return lines.join('\n') + '\n';
}
