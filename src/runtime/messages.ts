import type { JsonValue, Shard } from '../sdk';
import type { SerializedError } from '../errors';
import type { Counters } from '../meta/counters';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../sdk';

/** Rows copied up to a position; `rowsDirty` (dirty records skipped up to it) is kept over a retry, not saved with positions. */
export type PositionCounts = Pick<Counters, 'rowsRead' | 'rowsWritten' | 'bytes' | 'rowsDirty'>;

/**
 * Everything a worker thread needs to run one shard: plain, structured-clone safe data and no
 * secrets. The thread reads connection entries from the config file itself (`configFile`), so the
 * same payload could sit in a queue.
 */
export interface WorkerTask {
  runId: number;
  /** Absolute path of the run's config file (`etc/<env>.json`). */
  configFile: string;
  /** goshift's bare env-name form honoured (`-UsedEnv`). */
  usedEnv: boolean;
  task: TaskRow;
  params: TaskParams;
  mode: string;
  runState: Record<string, unknown>;
  log: { level: string; dir: string };
  /** Copy inside the store (the plugin's `direct` fast path) instead of reading and writing. */
  direct: boolean;
  /** Shards one thread runs at once (pool sizing). */
  shardsPerThread: number;
  shard: Shard;
  /** The shard's fingerprint (resume identity of the shard). */
  fingerprint: string;
  /** The copy's identity hash (saved with each position). */
  identity: string;
  /** Continue strictly after this durable position; undefined = from the start. */
  from?: JsonValue;
  /** Rows copied up to `from` over every run and attempt (a new position saves base + this attempt). */
  base: PositionCounts;
  /** The first batch may already be in the target (resume or retry): mark it replayed. */
  replay: boolean;
  /** Keys the run copies (`--key`); empty = everything. A keys run saves no positions. */
  keys: string[];
}

/** What a worker returns for one shard attempt. Counters are this attempt's. */
export interface WorkerResult extends Counters {
  shardId: string;
  /** Worker thread that ran the shard (it holds open sessions until `close`). */
  threadId: number;
  /** With `--key`: the named keys this shard handed to the writer (UTF-8 text). */
  keysWritten?: string[];
  /** Last durable point of this attempt (position and this attempt's counters up to it). */
  saved?: { position: JsonValue | null } & PositionCounts;
  /** An unbounded shard that was stopped (drained and checkpointed), not failed. */
  stopped?: boolean;
  /** Set when the shard failed; the main thread rebuilds the error class from it. */
  error?: SerializedError;
}

/** Worker -> main: counters since the last message for one shard. */
export interface ProgressMessage extends Counters {
  type: 'progress';
  runId: number;
  shardId: string;
  /** A change feed's lag at its latest batch: ms from the newest source change until it was written. */
  lagMs?: number;
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

/** Worker -> main: may this batch of `rows` / `bytes` go (the run's rate limit)? */
export interface AcquireMessage {
  type: 'acquire';
  runId: number;
  /** Unique per request: `<threadId>:<n>`. */
  reqId: string;
  rows: number;
  bytes: number;
}

/** Main -> workers: the request `reqId` fits the budget now. */
export interface GrantedMessage {
  type: 'granted';
  runId: number;
  reqId: string;
}

/** Any message on a run's channel. */
export type ChannelMessage = ProgressMessage | ControlMessage | ClosedMessage | AcquireMessage | GrantedMessage;

/** Name of the BroadcastChannel that carries one run's progress and control messages. */
export function channelName(runId: number): string {
  return `goshift-run-${runId}`;
}
