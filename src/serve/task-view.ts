/** Tasks as `goshift serve` lists them: definition, status, last run and schedule. */
import type { MetaDb } from '../meta/meta-db';
import { definitionOf, toFileObject } from '../meta/task-def';
import type { TaskRow } from '../meta/task-row';
import { TaskStore } from '../meta/task-store';
import { nextRunOf } from './cron';

/** goshift's task_status codes by name. */
export const taskStatusNames: Record<string, string> = { '1': 'submitted', '2': 'running', '3': 'cancelled', '4': 'success', '5': 'failed' };

/** One task in the API's list. */
export interface TaskView {
  id: number;
  from: string;
  to: string;
  online: boolean;
  description: string;
  /** goshift's code (`4`) and its name (`success`). */
  taskStatus: string | null;
  statusName: string;
  /** `params.schedule`, or null; with the next time it fires (ISO) or why it cannot. */
  schedule: string | null;
  scheduleMode: string;
  nextRun: string | null;
  scheduleError: string | null;
  lastRun: { id: number; status: string; startedAt: string | null; endedAt: string | null; rowsWritten: number; mode: string | null } | null;
}

/** The schedule of a stored row as written (`params.schedule`), without validating the rest of params. */
export function scheduleOf(row: Pick<TaskRow, 'params'>): { schedule: string | null; mode: string } {
  try {
    const p = JSON.parse(row.params ?? '{}') as Record<string, unknown>;
    const schedule = typeof p.schedule === 'string' && p.schedule.trim() !== '' ? p.schedule : null;
    return { schedule, mode: p.schedule_mode === 'incr' ? 'incr' : 'init' };
  } catch {
    return { schedule: null, mode: 'init' };
  }
}

/** Every task with its status, last run and schedule. */
export async function listTaskViews(meta: MetaDb): Promise<TaskView[]> {
  const rows = await new TaskStore(meta).listWithLastRun();
  return rows.map((r) => {
    const { schedule, mode } = scheduleOf(r);
    let nextRun: string | null = null;
    let scheduleError: string | null = null;
    if (schedule) {
      try {
        nextRun = nextRunOf(schedule)?.toISOString() ?? null;
      } catch (err) {
        scheduleError = (err as Error).message;
      }
    }
    return {
      id: Number(r.id),
      from: `${r.from_db_type}:${r.from_app}_${r.from_db}${r.from_table ? `.${r.from_table}` : ''}`,
      to: `${r.to_db_type}:${r.to_app}_${r.to_db}${r.to_table ? `.${r.to_table}` : ''}`,
      online: Number(r.online_status) === 1,
      description: r.task_desc ?? '',
      taskStatus: r.task_status,
      statusName: taskStatusNames[r.task_status ?? ''] ?? '',
      schedule, scheduleMode: mode, nextRun, scheduleError,
      lastRun: r.last_run_id === null ? null : {
        id: Number(r.last_run_id), status: r.last_run_status ?? '', startedAt: r.last_run_start, endedAt: r.last_run_end,
        rowsWritten: Number(r.last_rows_written ?? 0), mode: r.last_run_mode,
      },
    };
  });
}

/** One task's definition as `goshift task show --json` prints it, with its run state. */
export async function taskDetail(meta: MetaDb, id: number): Promise<Record<string, unknown>> {
  const row = await new TaskStore(meta).getUnchecked(id);
  return { ...toFileObject(definitionOf(row)), task_status: row.task_status, status_name: taskStatusNames[row.task_status ?? ''] ?? '', create_time: row.create_time, update_time: row.update_time };
}
