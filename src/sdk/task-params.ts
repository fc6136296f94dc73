/** The validated params of a task, as plugins and the core read them. */

/** Validated params with defaults applied. Plugin keys are present under their own names. */
export interface TaskParams {
  pk: { src: string; dest: string };
  diff_column: { src: string; dest: string };
  split: { pk: string[] | string };
  worker_num: number;
  read_batch: number;
  /** Records per write; 0 means the writer's own default (read it through `writeBatchOf`, src/sdk/params.ts). */
  write_batch: number;
  write_mode: string;
  columns: string[];
  column_map: Record<string, string>;
  where: string;
  /** Verify after each successful run (`goshift verify`). Default is false. */
  verify: boolean;
  pre_sql: string[];
  post_sql: string[];
  direct_copy: boolean;
  propagate_deletes: boolean;
  create_target: boolean;
  /** Cron expression of scheduled runs (`goshift serve` / `goshift scheduler`); empty = none. Default is "". */
  schedule: string;
  /** Mode of scheduled runs. Default is "init". */
  schedule_mode: 'init' | 'incr';
  /** Run on the queue's workers (`--distributed`). Default is false. */
  distributed: boolean;
  retries: number;
  retry_max_seconds: number;
  checkpoint_seconds: number;
  max_rows_per_sec: number;
  max_bytes_per_sec: number;
  /** Dirty records the run may skip (see `error_limit` in `coreParamsSchema`, src/params.ts). Default: none. */
  error_limit: { records: number; percent: number };
  [pluginKey: string]: unknown;
}
