import { TaskError } from './errors';
import { validateWithSchema } from './config/schema';
import { jsonSyntaxError } from './config/json-error';
import { checkParamsAsWritten, restoreMaps, setMapsAside } from './params-check';
import { parseSchedule } from './serve/cron';
import { positiveInt, positiveWhenGiven, stringList, stringMap } from './sdk/params';
import type { TaskParams } from './sdk/task-params';


/**
 * Largest `worker_num`. Shards in flight share at most one thread per core, and each holds a
 * connection on each side: more than this only queues on the servers (and a MySQL server also
 * refuses a task that would take more than half of its max_connections, see the mysql plugin).
 */
export const maxWorkerNum = 256;

/** A convict format for a percent: a number from 0 to 100. */
function percent(name: string): (value: unknown) => void {
  return (value) => {
    if (!(typeof value === 'number' && value >= 0 && value <= 100)) throw new Error(`params.${name} must be a number from 0 to 100, got ${JSON.stringify(value)}`);
  };
}

function stringOrList(name: string): (value: unknown) => void {
  return (value) => {
    if (typeof value === 'string') return;
    stringList(name)(value);
  };
}

/**
 * Core params keys, honoured for every store. goshift's own keys come first, as its docs write them.
 * Plugins add their own keys with `Plugin.paramsSchema`.
 */
export const coreParamsSchema = {
  pk: {
    src: { doc: 'Source primary key column (comma separated for a composite key).', format: String, default: '' },
    dest: { doc: 'Target primary key column.', format: String, default: '' },
  },
  diff_column: {
    src: { doc: 'Source change-time column for incremental runs (-mode incr).', format: String, default: '' },
    dest: { doc: 'Target change-time column.', format: String, default: '' },
  },
  split: {
    pk: { doc: "goshift's older form of pk.src: a list of key columns.", format: stringOrList('split.pk'), default: [] as string[] },
  },
  worker_num: {
    doc: `Shards in flight at once, 1..${maxWorkerNum}; each holds a connection on each side. Default is 4.`,
    format: positiveInt('worker_num', maxWorkerNum),
    default: 4,
  },
  read_batch: { doc: 'Records per read. Default is 5000.', format: positiveInt('read_batch'), default: 5000 },
  write_batch: {
    doc: "Records per write (one transaction, statement or pipeline), a positive integer. Default (key left out) is the writer's own: 5000 for mysql, 500 for the others; a written 0 is refused.",
    format: (value: unknown) => (value === 0 ? undefined : positiveInt('write_batch')(value)),
    given: positiveWhenGiven('write_batch', "leave the key out for the writer's own default"),
    default: 0,
  },
  write_mode: { doc: 'How the writer treats existing records; each writer lists its modes. Empty = its default.', format: String, default: '' },
  columns: { doc: 'Source columns to read (default: all).', format: stringList('columns'), default: [] as string[] },
  column_map: { doc: 'Source column -> target column renames.', format: stringMap('column_map'), default: {} as Record<string, string> },
  where: { doc: 'SQL filter applied to the source (mysql).', format: String, default: '' },
  verify: {
    doc: 'After each successful run (not a --key run), compare target and source as `goshift verify` does (any pair of stores); differences end the command with exit code 9. Default is false.',
    format: Boolean,
    default: false,
  },
  pre_sql: { doc: 'Statements run on the target before the copy.', format: stringList('pre_sql'), default: [] as string[] },
  post_sql: { doc: 'Statements run on the target after a successful copy.', format: stringList('post_sql'), default: [] as string[] },
  distributed: {
    doc: 'Run the shards on `goshift worker`s through the queue of the config\'s `queue` section, as `--distributed` does. Default is false.',
    format: Boolean,
    default: false,
  },
  retries: {
    doc: 'Most attempts a shard gets again after transient errors (connection lost, deadlock, server restarting); retry_max_seconds bounds them in time. Default is 100.',
    format: 'nat',
    default: 100,
  },
  retry_max_seconds: {
    doc: 'How long a shard keeps retrying after a transient error, with jittered backoff from 0.5 s up to 10 s, each time from its last saved position. Default is 60.',
    format: 'nat',
    default: 60,
  },
  checkpoint_seconds: {
    doc: 'How often a shard flushes its writer and saves its resume position (write_mode insert: after every batch). Default is 1.',
    format: 'nat',
    default: 1,
  },
  max_rows_per_sec: {
    doc: 'Rows per second the whole run may read, over every thread (one budget); 0 = no limit. A limit turns the same-server direct copy off. Default is 0.',
    format: 'nat',
    default: 0,
  },
  max_bytes_per_sec: {
    doc: 'Bytes per second the whole run may read, over every thread (one budget); 0 = no limit. Default is 0.',
    format: 'nat',
    default: 0,
  },
  error_limit: {
    records: {
      doc: 'Dirty records the run may skip: records the target refuses for their data (a value too long or out of range, NULL into NOT NULL, a bad value, a duplicate under write_mode insert, a DynamoDB item over 400 KB). A refused batch is split until the culprits are found, the rest is written, and the culprits are stored in the metadata table goshift_dirty (list them with `goshift dirty -e <env> -id <n>`) and counted in rows_dirty and rows_failed; one more fails the run. Connection and server errors are never dirty. 0 with percent 0 = no dirty record allowed: a refused batch fails the run. Default is 0.',
      format: 'nat',
      default: 0,
    },
    percent: {
      doc: 'Like records, as a percent of the records read (0.5 = one in 200), checked when the copy ends; 0 = no percent limit. Either limit exceeded fails the run. Default is 0.',
      format: percent('error_limit.percent'),
      default: 0,
    },
  },
  propagate_deletes: {
    doc: '-mode stream: delete (or expire) in the target what is deleted or expires in the source. false keeps such records in the target. Default is true.',
    format: Boolean,
    default: true,
  },
  direct_copy: {
    doc: 'Copy inside the store when source and target share a server (e.g. INSERT ... SELECT). Default is true.',
    format: Boolean,
    default: true,
  },
  schedule: {
    doc: 'A cron expression (croner: 5 fields "min hour day month weekday", or 6 with seconds first; server local time): `goshift serve` / `goshift scheduler` start a run when it is due, never two of one task at once. Empty = not scheduled. Default is "".',
    format: (value: unknown) => {
      if (value !== '') parseSchedule(value);
    },
    default: '',
  },
  schedule_mode: {
    doc: 'Mode of the runs the schedule starts: init (full copy) or incr (changes since the last successful run). Default is "init".',
    format: ['init', 'incr'],
    default: 'init',
  },
  create_target: {
    doc: 'Create the target (table) before copying when it does not exist, from the source\'s description; plan shows the DDL. Default is false.',
    format: Boolean,
    default: false,
  },
};

/**
 * Parse and validate the params column of a task row against the core keys plus the plugins' keys.
 * @param taskId the task's id, or how messages name it (`task add`)
 * @throws TaskError naming the task, the key and what was expected
 * @example parseParams('{"pk":{"src":"id","dest":"id"},"worker_num":20}', 5)
 */
export function parseParams(raw: string | null, taskId: number | string, pluginSchemas: Record<string, unknown>[] = []): TaskParams {
  const label = typeof taskId === 'number' ? `task ${taskId}` : taskId;
  let value: unknown = {};
  if (raw !== null && raw.trim() !== '') {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new TaskError(`${label}: params is not valid JSON (${jsonPosition(raw) ?? (err as Error).message})`, { cause: err });
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TaskError(`${label}: params must be a JSON object, got ${JSON.stringify(value)}`);
  }
  const schema = Object.assign({}, ...pluginSchemas, coreParamsSchema) as Record<string, unknown>;
  let params: TaskParams;
  try {
    checkParamsAsWritten(schema, value as Record<string, unknown>);
    const { forConvict, maps } = setMapsAside(schema, value as Record<string, unknown>);
    params = restoreMaps(validateWithSchema<TaskParams>(schema, forConvict), maps);
  } catch (err) {
    throw new TaskError(`${label}: ${convictMessage((err as Error).message)}`, { cause: err });
  }
  return params;
}

/** Turn convict's multi-line report into one line that names `params.<key>`. */
function convictMessage(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const unknown = /^configuration param '([^']+)' not declared in the schema$/.exec(line);
      if (unknown) return `params.${unknown[1]} is not a known key`;
      const own = /(params\.\S+ must .*)$/.exec(line);
      if (own) return own[1];
      const generic = /^([\w.]+): (.*)$/.exec(line);
      return generic ? `params.${generic[1]}: ${generic[2]}` : line;
    })
    .join('; ');
}

/** Where a params text stops being JSON (`line 1 column 17: ...`), without quoting the text. */
function jsonPosition(raw: string): string | undefined {
  const e = jsonSyntaxError(raw);
  return e && `line ${e.line} column ${e.column}: ${e.reason}`;
}

