import type { Logger } from 'winston';
import type { ConnectionConfig, PluginContext } from '../sdk';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../sdk';
import { sharesNativeFormat, writerAppends } from '../records/bridge';
import { getPlugin } from '../registry';

/** The parts of a run both sides share; see {@link PluginContext}. */
export interface RunParts {
  task: TaskRow;
  params: TaskParams;
  source: ConnectionConfig;
  target: ConnectionConfig;
  mode: string;
  runState: Record<string, unknown>;
  logger: Logger;
  signal: AbortSignal;
  /** Shards one thread runs at once. Default is `params.worker_num`. */
  shardsPerThread?: number;
  /** Keys the run copies (`--key`); empty or absent = everything. */
  keys?: string[];
}

/** Context handed to the reader (source connection). */
export function readerContext(parts: RunParts): PluginContext {
  return {
    task: parts.task,
    params: parts.params,
    connection: parts.source,
    peerNative: peerNative(parts.task),
    readOnce: writerAppends(getPlugin(parts.task.to_db_type), parts.params),
    mode: parts.mode,
    shardsPerThread: parts.shardsPerThread ?? parts.params.worker_num,
    runState: parts.runState,
    keys: parts.keys ?? [],
    logger: parts.logger.child({ side: 'from' }),
    signal: parts.signal,
  };
}

/** Context handed to the writer (target connection). */
export function writerContext(parts: RunParts): PluginContext {
  return {
    ...readerContext(parts),
    connection: parts.target,
    logger: parts.logger.child({ side: 'to' }),
  };
}

/** Whether the task's reader and writer plugins declare the same native format. */
function peerNative(task: TaskRow): boolean {
  const reader = getPlugin(task.from_db_type);
  const writer = getPlugin(task.to_db_type);
  return Boolean(reader && writer && sharesNativeFormat(reader, writer));
}
