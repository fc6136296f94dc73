import { TaskError } from '../errors';
import type { TaskRow } from './task-row';

/** Columns a task cannot run without, and what belongs in each (for the message). */
const requiredColumns: Partial<Record<keyof TaskRow, string>> = {
  from_app: 'the source business system (the config entry is from.<type>.<from_app>_<from_db>)',
  to_app: 'the target business system (the config entry is to.<type>.<to_app>_<to_db>)',
  from_db_type: 'the source store type, e.g. mysql or redis',
  to_db_type: 'the target store type, e.g. mysql or redis',
  from_db: 'the source database (schema, redis db)',
  to_db: 'the target database (schema, redis db)',
  from_table: "the source table, key pattern or prefix ('' where the store needs none)",
  to_table: "the target table, key pattern or prefix ('' where the store needs none)",
  online_status: '1 (online) or 0 (offline)',
};

/**
 * Check that a row read from `task_def_sync_manager` has every column a run needs. Tables created
 * before goshift declared them NOT NULL may hold NULLs; they fail here with one line instead of
 * deep inside a plugin.
 * @throws TaskError naming the task, the column and what it should hold
 * @example checkTaskRow(row) // task 7: column from_db_type is NULL in task_def_sync_manager: set it to ...
 */
export function checkTaskRow(row: TaskRow): TaskRow {
  for (const [column, meaning] of Object.entries(requiredColumns)) {
    const value = row[column as keyof TaskRow];
    if (value === null || value === undefined) {
      throw new TaskError(`task ${row.id}: column ${column} is NULL in task_def_sync_manager: set it to ${meaning}`);
    }
  }
  return row;
}
