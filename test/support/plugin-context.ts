import winston from 'winston';
import type { ConnectionConfig, Plugin, PluginContext } from '../../src/sdk';
import type { TaskRow } from '../../src/meta/task-row';
import { parseParams } from '../../src/params';
import { validateWithSchema } from '../../src/config/schema';
import { sharesNativeFormat, writerAppends } from '../../src/records/bridge';
import { mappingParamsSchema } from '../../src/records/params';
import { getPlugin } from '../../src/registry';

/** What a hand-built context needs; everything else gets a harmless default. */
export interface ContextInput {
  /** Task row columns to override (from_table, from_db, ...). */
  task?: Partial<TaskRow>;
  /** The params column, as JSON text or an object. */
  params?: string | Record<string, unknown>;
  /** The connection entry (validated with the plugin's connectionSchema). */
  connection: Record<string, unknown>;
  /** The other side's store type (sets `peerNative` and the task row's other type). Default: the plugin's own type. */
  peerType?: string;
  /** Plugins whose paramsSchema the params are validated against. Default: `[plugin]`. */
  paramPlugins?: Plugin[];
  /** Run mode. Default is "init". */
  mode?: string;
  signal?: AbortSignal;
}

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })] });

/** A task row with demo-like defaults. */
export function taskRow(over: Partial<TaskRow> = {}): TaskRow {
  return {
    id: 1, from_app: 't', to_app: 't', from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0',
    from_table: '*', to_table: '', params: null, online_status: 1, task_desc: 'test', task_status: '1', owner: 'test',
    create_time: '2024-01-01 00:00:00', update_time: '2024-01-01 00:00:00', ...over,
  };
}

/**
 * Build a {@link PluginContext} by hand, the way the runner does: params validated with
 * `parseParams` against the mapping keys and the plugins' schemas, the connection entry with the
 * plugin's schema.
 * @example pluginContext(redis, { connection: { port: 6379 }, task: { from_table: 'user:*' } })
 */
export function pluginContext(plugin: Plugin, input: ContextInput): PluginContext {
  const raw = input.params === undefined ? null : typeof input.params === 'string' ? input.params : JSON.stringify(input.params);
  const task = taskRow({ from_db_type: plugin.type, to_db_type: input.peerType ?? plugin.type, params: raw, ...input.task });
  const schemas = [mappingParamsSchema, ...(input.paramPlugins ?? [plugin]).map((p) => p.paramsSchema ?? {})];
  const params = parseParams(raw, task.id, schemas);
  const connection = validateWithSchema<ConnectionConfig>(plugin.connectionSchema, input.connection);
  const peer = getPlugin(input.peerType ?? plugin.type);
  return {
    task, params, connection, peerNative: Boolean(peer && sharesNativeFormat(plugin, peer)), readOnce: writerAppends(peer, params), mode: input.mode ?? 'init', runState: {}, keys: [], shardsPerThread: params.worker_num,
    logger, signal: input.signal ?? new AbortController().signal,
  };
}
