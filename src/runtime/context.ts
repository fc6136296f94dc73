import type { Logger } from 'winston';
import type { ConnectionConfig, PluginContext } from '../contract';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../params';

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
}

/** Context handed to the reader (source connection, peer = target type). */
export function readerContext(parts: RunParts): PluginContext {
  return {
    task: parts.task,
    params: parts.params,
    connection: parts.source,
    peerType: parts.task.to_db_type.toLowerCase(),
    mode: parts.mode,
    runState: parts.runState,
    logger: parts.logger.child({ side: 'from' }),
    signal: parts.signal,
  };
}

/** Context handed to the writer (target connection, peer = source type). */
export function writerContext(parts: RunParts): PluginContext {
  return {
    ...readerContext(parts),
    connection: parts.target,
    peerType: parts.task.from_db_type.toLowerCase(),
    logger: parts.logger.child({ side: 'to' }),
  };
}
