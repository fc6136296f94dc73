import { TaskError } from './errors';
import { validateWithSchema } from './config/schema';

/** A convict format that accepts a positive integer (also as a numeric string) and names the key. */
export function positiveInt(name: string): (value: unknown) => void {
  return (value) => {
    if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
      throw new Error(`params.${name} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  };
}

/** A convict format for an optional list of strings. */
export function stringList(name: string): (value: unknown) => void {
  return (value) => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new Error(`params.${name} must be a list of strings, got ${JSON.stringify(value)}`);
    }
  };
}

/** A convict format for an object whose values are all strings. */
export function stringMap(name: string): (value: unknown) => void {
  return (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new Error(`params.${name} must be an object of strings, got ${JSON.stringify(value)}`);
    }
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
  worker_num: { doc: 'Shards in flight at once. Default is 4.', format: positiveInt('worker_num'), default: 4 },
  read_batch: { doc: 'Records per read. Default is 5000.', format: positiveInt('read_batch'), default: 5000 },
  write_batch: { doc: 'Records per write statement or pipeline. Default is 500.', format: positiveInt('write_batch'), default: 500 },
  write_mode: { doc: 'How the writer treats existing records; each writer lists its modes. Empty = its default.', format: String, default: '' },
  columns: { doc: 'Source columns to read (default: all).', format: stringList('columns'), default: [] as string[] },
  column_map: { doc: 'Source column -> target column renames.', format: stringMap('column_map'), default: {} as Record<string, string> },
  where: { doc: 'SQL filter applied to the source (mysql).', format: String, default: '' },
  pre_sql: { doc: 'Statements run on the target before the copy.', format: stringList('pre_sql'), default: [] as string[] },
  post_sql: { doc: 'Statements run on the target after a successful copy.', format: stringList('post_sql'), default: [] as string[] },
  retries: {
    doc: 'Times a shard is retried after a transient error (connection lost, deadlock, lock wait timeout, server restarting), with backoff. Default is 3.',
    format: 'nat',
    default: 3,
  },
  direct_copy: {
    doc: 'Copy inside the store when source and target share a server (e.g. INSERT ... SELECT). Default is true.',
    format: Boolean,
    default: true,
  },
};

/** Validated params with defaults applied. Plugin keys are present under their own names. */
export interface TaskParams {
  pk: { src: string; dest: string };
  diff_column: { src: string; dest: string };
  split: { pk: string[] | string };
  worker_num: number;
  read_batch: number;
  write_batch: number;
  write_mode: string;
  columns: string[];
  column_map: Record<string, string>;
  where: string;
  pre_sql: string[];
  post_sql: string[];
  direct_copy: boolean;
  retries: number;
  [pluginKey: string]: unknown;
}

/**
 * Parse and validate the params column of a task row against the core keys plus the plugins' keys.
 * @throws TaskError naming the task, the key and what was expected
 * @example parseParams('{"pk":{"src":"id","dest":"id"},"worker_num":20}', 5)
 */
export function parseParams(raw: string | null, taskId: number, pluginSchemas: Record<string, unknown>[] = []): TaskParams {
  let value: unknown = {};
  if (raw !== null && raw.trim() !== '') {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new TaskError(`task ${taskId}: params is not valid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TaskError(`task ${taskId}: params must be a JSON object, got ${JSON.stringify(value)}`);
  }
  const schema = Object.assign({}, ...pluginSchemas, coreParamsSchema) as Record<string, unknown>;
  let params: TaskParams;
  try {
    checkRawFormats(schema, value as Record<string, unknown>);
    params = validateWithSchema<TaskParams>(schema, value);
  } catch (err) {
    throw new TaskError(`task ${taskId}: ${convictMessage((err as Error).message)}`, { cause: err });
  }
  return params;
}

/** Primary key columns of the source: `pk.src`, else goshift's older `split.pk`, else none. */
export function sourceKeyColumns(params: TaskParams): string[] {
  if (params.pk.src) return params.pk.src.split(',').map((s) => s.trim()).filter(Boolean);
  const older = params.split.pk;
  return (typeof older === 'string' ? older.split(',') : older).map((s) => s.trim()).filter(Boolean);
}

/**
 * Run the schema's own format checks on the values exactly as written in the JSON, before convict
 * coerces them (convict turns `"abc"` for a numeric key into null, hiding what the user wrote).
 */
function checkRawFormats(schema: Record<string, unknown>, value: Record<string, unknown>): void {
  for (const [key, raw] of Object.entries(value)) {
    const entry = schema[key] as Record<string, unknown> | undefined;
    if (!entry || raw === undefined) continue;
    if (typeof entry.format === 'function') (entry.format as (v: unknown) => void)(raw);
    else if (!('format' in entry) && raw && typeof raw === 'object' && !Array.isArray(raw)) checkRawFormats(entry, raw as Record<string, unknown>);
  }
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
