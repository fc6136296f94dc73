import type { CommonOptions } from '../cli-args';
import { openMetaDb } from '../meta/meta-db';
import { TaskStore } from '../meta/task-store';
import { setupCommand } from './setup';

const statusNames: Record<string, string> = { '1': 'submitted', '2': 'running', '3': 'cancelled', '4': 'success', '5': 'failed' };

function side(type: string, entry: string, table: string): string {
  return `${type}:${entry}${table ? `.${table}` : ''}`;
}

/** The "last run" cell: a live stream shows as streaming with its lag, other runs with their end and rows. */
function lastRun(r: LastRunCells): string {
  if (!r.last_run_status) return '-';
  return lastRunText(r) + queueText(r);
}

/** Columns of a task's last run that `goshift tasks` shows. */
interface LastRunCells {
  last_run_status: string | null; last_run_end: string | null; last_rows_written: string | null; last_rows_dirty: string | null;
  last_run_mode: string | null; last_lag_ms: string | null; last_queue: string | null; last_workers: string | null;
}

/** ` [distributed: queue goshift, 3 workers]` for a run whose shards went through the queue. */
function queueText(r: LastRunCells): string {
  if (!r.last_queue) return '';
  const n = Number(r.last_workers ?? 0);
  return ` [distributed: queue ${r.last_queue}, ${n} worker${n === 1 ? '' : 's'}]`;
}

function lastRunText(r: LastRunCells): string {
  if (r.last_run_status === 'running' && r.last_run_mode === 'stream') {
    const lag = r.last_lag_ms === null ? 'lag -' : `lag ${(Number(r.last_lag_ms) / 1000).toFixed(1)} s`;
    return `streaming, ${lag} (${r.last_rows_written ?? 0} changes)`;
  }
  const dirty = Number(r.last_rows_dirty ?? 0) > 0 ? `, ${r.last_rows_dirty} dirty` : '';
  return `${r.last_run_status} ${r.last_run_end ?? ''} (${r.last_rows_written ?? 0} rows${dirty})`;
}

/** `goshift tasks`: one line per task row with its status and last run. */
export async function tasksCommand(opts: CommonOptions): Promise<number> {
  const { config } = setupCommand(opts);
  const meta = await openMetaDb(config);
  try {
    const rows = await new TaskStore(meta).listWithLastRun();
    const lines = [['id', 'online', 'status', 'from', 'to', 'last run', 'description']];
    for (const r of rows) {
      lines.push([
        String(r.id),
        Number(r.online_status) === 1 ? 'yes' : 'no',
        `${r.task_status} ${statusNames[r.task_status ?? ''] ?? ''}`.trim(),
        side(r.from_db_type, `${r.from_app}_${r.from_db}`, r.from_table),
        side(r.to_db_type, `${r.to_app}_${r.to_db}`, r.to_table),
        lastRun(r),
        r.task_desc ?? '',
      ]);
    }
    const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    for (const l of lines) process.stdout.write(l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ') + '\n');
    return 0;
  } finally {
    await meta.end();
  }
}
