import type { ConnectionConfig, Shard } from '../contract';
import type { SerializedError } from '../errors';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../params';

/** Everything a worker thread needs to run one shard: plain, structured-clone safe data. */
export interface WorkerTask {
  runId: number;
  task: TaskRow;
  params: TaskParams;
  source: ConnectionConfig;
  target: ConnectionConfig;
  mode: string;
  runState: Record<string, unknown>;
  log: { level: string; dir: string };
  /** Copy inside the store (the plugin's `direct` fast path) instead of reading and writing. */
  direct: boolean;
  shard: Shard;
}

/** What a worker returns for one shard. */
export interface WorkerResult {
  shardId: string;
  /** Worker thread that ran the shard (it holds open sessions until `close`). */
  threadId: number;
  rowsRead: number;
  rowsWritten: number;
  rowsFailed: number;
  bytes: number;
  /** Set when the shard failed; the main thread rebuilds the error class from it. */
  error?: SerializedError;
}

/** Worker -> main: counters since the last message for one shard. */
export interface ProgressMessage {
  type: 'progress';
  runId: number;
  shardId: string;
  rowsRead: number;
  rowsWritten: number;
  rowsFailed: number;
  bytes: number;
}

/** Main -> workers: stop between batches (`cancel`) or close the run's sessions (`close`). */
export interface ControlMessage {
  type: 'cancel' | 'close';
  runId: number;
}

/** Worker -> main: this thread closed its sessions for the run. */
export interface ClosedMessage {
  type: 'closed';
  runId: number;
  threadId: number;
}

/** Any message on a run's channel. */
export type ChannelMessage = ProgressMessage | ControlMessage | ClosedMessage;

/** Name of the BroadcastChannel that carries one run's progress and control messages. */
export function channelName(runId: number): string {
  return `goshift-run-${runId}`;
}
