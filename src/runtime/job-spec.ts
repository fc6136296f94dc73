import type { ConnectionConfig, Plugin } from '../sdk';
import { resolveConnection } from '../config/connections';
import type { GoshiftConfig } from '../config/schema';
import { TaskError } from '../errors';
import type { TaskRow } from '../meta/task-row';
import { parseParams } from '../params';
import type { TaskParams } from '../sdk';
import { checkBridge } from '../records/bridge';
import { mappingParamsSchema } from '../records/params';
import { resolvePlugin } from '../registry';

/** A task resolved against config and plugins: everything needed to plan or run it. */
export interface JobSpec {
  task: TaskRow;
  params: TaskParams;
  readerPlugin: Plugin;
  writerPlugin: Plugin;
  source: ConnectionConfig;
  target: ConnectionConfig;
}

/**
 * Run modes: `init` copies everything, `incr` only what changed since the last successful run,
 * `stream` catches up and then follows the source's changes until stopped.
 */
export const runModes = ['init', 'incr', 'stream'] as const;

/** One of {@link runModes}. */
export type RunMode = (typeof runModes)[number];

/**
 * Resolve a task row: online check, plugins for both store types, params (core, mapping and plugin
 * keys), whether the reader's record kinds reach the writer, both connection entries.
 * Nothing touches a data store yet.
 * @param opts.label how messages name the task (default `task <id>`; `task add` names a row not yet stored)
 * @throws TaskError / PluginError / ConfigError with one line naming what and where
 */
export function resolveJob(config: GoshiftConfig, task: TaskRow, opts: { force: boolean; label?: string }): JobSpec {
  const label = opts.label ?? `task ${task.id}`;
  if (Number(task.online_status) === 0 && !opts.force) {
    throw new TaskError(`${label} is offline (online_status=0); set it online or pass --force`);
  }
  const readerPlugin = resolvePlugin(task.from_db_type, 'reader', `${label} from_db_type`);
  const writerPlugin = resolvePlugin(task.to_db_type, 'writer', `${label} to_db_type`);
  const schemas = [mappingParamsSchema, readerPlugin.paramsSchema, writerPlugin.paramsSchema].filter((s): s is Record<string, unknown> => Boolean(s));
  const params = parseParams(task.params, opts.label ?? task.id, schemas);
  checkBridge(readerPlugin, writerPlugin, task, params, label);
  const source = resolveConnection(config, 'from', readerPlugin, task.from_app, task.from_db);
  const target = resolveConnection(config, 'to', writerPlugin, task.to_app, task.to_db);
  return { task, params, readerPlugin, writerPlugin, source, target };
}
