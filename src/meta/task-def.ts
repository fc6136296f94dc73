/**
 * A task as a user writes it: in `task add`/`task edit` flags, in a `--file`, and in the files
 * `task export` writes and `task import` reads. Keys are the columns of `task_def_sync_manager`;
 * run state (`task_status`, `create_time`, `update_time`) is not part of a definition.
 */
import { jsonSyntaxError } from '../config/json-error';
import type { GoshiftConfig } from '../config/schema';
import { didYouMean } from '../did-you-mean';
import { TaskError } from '../errors';
import { resolveJob } from '../runtime/job-spec';
import type { TaskRow } from './task-row';

/** The columns a definition holds, in the order files list them. */
export const definitionColumns = [
  'id', 'from_db_type', 'from_app', 'from_db', 'from_table', 'to_db_type', 'to_app', 'to_db', 'to_table',
  'params', 'online_status', 'task_desc', 'owner',
] as const;

/** A column of a task definition. */
export type DefinitionColumn = (typeof definitionColumns)[number];

/** A task definition; `params` is JSON text as stored. */
export interface TaskDefinition {
  id?: number;
  from_db_type: string;
  from_app: string;
  from_db: string;
  from_table: string;
  to_db_type: string;
  to_app: string;
  to_db: string;
  to_table: string;
  params: string | null;
  online_status: number;
  task_desc: string;
  owner: string;
}

/** The text columns, with their width in `task_def_sync_manager` (a longer value is refused at the door). */
const textColumns: Record<string, number> = {
  from_db_type: 50, from_app: 50, from_db: 20, from_table: 255,
  to_db_type: 20, to_app: 50, to_db: 20, to_table: 255,
  task_desc: 65535, owner: 100,
};

/** Columns a new task must name (tables may be empty, for stores that need none). */
export const requiredColumns = ['from_db_type', 'from_app', 'from_db', 'from_table', 'to_db_type', 'to_app', 'to_db', 'to_table'] as const;

/** Defaults of a new task's optional columns. */
export const definitionDefaults = { params: null, online_status: 1, task_desc: '', owner: '' } as const;

/**
 * Check one object of a task file (or the flags of add/edit): known keys, each of the right type.
 * `params` may be a JSON object or JSON text; it is returned as text (an object is stringified).
 * @param where how messages name the object, e.g. `tasks/task-5.json` or `--file t.json`
 * @throws TaskError naming the key and the place
 */
export function readDefinitionObject(value: unknown, where: string): Partial<TaskDefinition> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TaskError(`${where}: a task must be a JSON object with column names as keys`);
  const out: Partial<TaskDefinition> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(definitionColumns as readonly string[]).includes(key)) {
      const runState = ['task_status', 'create_time', 'update_time'].includes(key) ? ' (run state is not part of a task definition)' : '';
      throw new TaskError(`${where}: "${key}" is not a task column${didYouMean(key, definitionColumns)}${runState} (columns: ${definitionColumns.join(', ')})`);
    }
    if (key === 'id') {
      if (!Number.isInteger(raw) || (raw as number) <= 0) throw new TaskError(`${where}: id must be a positive integer, got ${JSON.stringify(raw)}`);
      out.id = raw as number;
    } else if (key === 'online_status') {
      if (raw !== 0 && raw !== 1) throw new TaskError(`${where}: online_status must be 1 (online) or 0 (offline), got ${JSON.stringify(raw)}`);
      out.online_status = raw;
    } else if (key === 'params') {
      if (raw === null) out.params = null;
      else if (typeof raw === 'string') out.params = raw;
      else if (typeof raw === 'object' && !Array.isArray(raw)) out.params = JSON.stringify(raw);
      else throw new TaskError(`${where}: params must be a JSON object, got ${JSON.stringify(raw)}`);
    } else {
      if (typeof raw !== 'string') throw new TaskError(`${where}: ${key} must be a string, got ${JSON.stringify(raw)}`);
      (out as Record<string, unknown>)[key] = raw;
    }
  }
  return out;
}

/**
 * Parse the text of a task file (one object, or a list of objects for import).
 * @throws TaskError with the line and column of a syntax error (the text itself is never quoted)
 */
export function parseDefinitionFile(text: string, file: string): unknown {
  if (/\.ya?ml$/i.test(file)) throw new TaskError(`${file}: YAML task files are not supported; write the task as JSON (column names as keys)`);
  const bad = jsonSyntaxError(text);
  if (bad) throw new TaskError(`${file}: not valid JSON at line ${bad.line} column ${bad.column}: ${bad.reason}`);
  return JSON.parse(text);
}

/**
 * Complete a definition and check it the way a run would: every column a task needs, widths, the
 * store types (with "did you mean"), both config entries, and params against the core, mapping and
 * plugin schemas. Nothing touches a data store.
 * @param label how messages name the task (`task add`, `task 5`, `tasks/task-5.json: task 5`)
 * @throws TaskError / PluginError / ConfigError with one line naming what and where
 */
export function checkDefinition(config: GoshiftConfig, def: Partial<TaskDefinition>, label: string): TaskDefinition {
  const missing = requiredColumns.filter((c) => def[c] === undefined || def[c] === null);
  if (missing.length) {
    const flags = missing.map((c) => `--${c.replace('_db_type', '-type').replace('_', '-')}`);
    throw new TaskError(`${label}: missing ${missing.join(', ')} (flags ${flags.join(', ')}; a table may be '' for stores that need none)`);
  }
  const full = { ...definitionDefaults, ...def } as TaskDefinition;
  for (const [column, width] of Object.entries(textColumns)) {
    const v = (full as unknown as Record<string, string | null>)[column] ?? '';
    if ([...v].length > width || Buffer.byteLength(v) > 65535) throw new TaskError(`${label}: ${column} is longer than the column allows (${width} characters)`);
  }
  for (const column of ['from_db_type', 'from_app', 'to_db_type', 'to_app'] as const) {
    if (full[column].trim() === '') throw new TaskError(`${label}: ${column} must not be empty`);
  }
  const row: TaskRow = { ...full, id: full.id ?? 0, task_status: null, create_time: '', update_time: '', task_desc: full.task_desc, owner: full.owner };
  resolveJob(config, row, { force: true, label });
  return full;
}

/** The definition of a stored row (run state left out). */
export function definitionOf(row: TaskRow): TaskDefinition & { id: number } {
  return {
    id: Number(row.id), from_db_type: row.from_db_type, from_app: row.from_app, from_db: row.from_db, from_table: row.from_table,
    to_db_type: row.to_db_type, to_app: row.to_app, to_db: row.to_db, to_table: row.to_table,
    params: row.params, online_status: Number(row.online_status), task_desc: row.task_desc ?? '', owner: row.owner ?? '',
  };
}

/**
 * The object a task file holds: columns in a fixed order, params as a JSON object when it is one
 * (readable diffs in git), else as the stored text.
 */
export function toFileObject(def: TaskDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of definitionColumns) {
    const v = def[column];
    if (column === 'params' && typeof v === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        parsed = undefined;
      }
      out.params = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : v;
    } else if (v !== undefined) {
      out[column] = v;
    }
  }
  return out;
}
