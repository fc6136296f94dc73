import type { ConnectionConfig, Plugin } from '../contract';
import { resolveConnection } from '../config/connections';
import type { GoshiftConfig } from '../config/schema';
import { TaskError } from '../errors';
import type { TaskRow } from '../meta/task-row';
import { parseParams, TaskParams } from '../params';
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

/** Run modes: `init` copies everything, `incr` only what changed since the last successful run. */
export const runModes = ['init', 'incr'] as const;

/**
 * Resolve a task row: online check, plugins for both store types, params, both connection entries.
 * Nothing touches a data store yet.
 * @throws TaskError / PluginError / ConfigError with one line naming what and where
 */
export function resolveJob(config: GoshiftConfig, task: TaskRow, opts: { force: boolean }): JobSpec {
  if (Number(task.online_status) === 0 && !opts.force) {
    throw new TaskError(`task ${task.id} is offline (online_status=0); set it online or pass --force`);
  }
  const readerPlugin = resolvePlugin(task.from_db_type, 'reader', `task ${task.id} from_db_type`);
  const writerPlugin = resolvePlugin(task.to_db_type, 'writer', `task ${task.id} to_db_type`);
  const schemas = [readerPlugin.paramsSchema, writerPlugin.paramsSchema].filter((s): s is Record<string, unknown> => Boolean(s));
  const params = parseParams(task.params, task.id, schemas);
  const source = resolveConnection(config, 'from', readerPlugin, task.from_app, task.from_db);
  const target = resolveConnection(config, 'to', writerPlugin, task.to_app, task.to_db);
  return { task, params, readerPlugin, writerPlugin, source, target };
}
