/** One row of `task_def_sync_manager`, as goshift defines it. */
export interface TaskRow {
  id: number;
  from_app: string;
  to_app: string;
  from_db_type: string;
  to_db_type: string;
  from_db: string;
  to_db: string;
  from_table: string;
  to_table: string;
  /** Raw JSON text of the params column; validated by `src/params.ts`. */
  params: string | null;
  online_status: number;
  task_desc: string | null;
  task_status: string | null;
  owner: string | null;
  create_time: string;
  update_time: string;
}

/** goshift's task_status codes, kept as strings. */
export const TaskStatus = {
  submitted: '1',
  running: '2',
  cancelled: '3',
  success: '4',
  failed: '5',
} as const;

/** One of goshift's task_status codes. */
export type TaskStatusCode = (typeof TaskStatus)[keyof typeof TaskStatus];
