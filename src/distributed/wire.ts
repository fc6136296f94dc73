/**
 * Names and messages shared by the coordinator (`--distributed`) and `goshift worker`s: queue
 * names, job ids, Redis keys, and the run's two pub/sub channels (`up`: workers -> coordinator,
 * `down`: coordinator -> workers). Payloads carry no secrets.
 */
import type { AcquireMessage, ControlMessage, GrantedMessage, ProgressMessage } from '../runtime/messages';
import type { QueueConfig } from './queue-config';

/** Queue of the runs (flow parents); no worker consumes it: a parent only holds its shards together. */
export function runsQueueName(q: QueueConfig): string {
  return `${q.name}-runs`;
}

/** Job id of a run's flow parent. */
export function runJobId(runId: number): string {
  return `run-${runId}`;
}

/** Job id of one attempt of one shard (the flow child is attempt 1). */
export function shardJobId(runId: number, fingerprint: string, attempt: number): string {
  return `r${runId}-${fingerprint}-${attempt}`;
}

/** Redis key naming the run in flight of a task (set while its shards are queued). */
export function taskRunKey(q: QueueConfig, taskId: number): string {
  return `goshift:${q.name}:task:${taskId}:run`;
}

/** Redis key set when a run is cancelled: workers skip its shard jobs still waiting. */
export function cancelKey(q: QueueConfig, runId: number): string {
  return `goshift:${q.name}:run:${runId}:cancelled`;
}

/** Pub/sub channel of one run in one direction. */
export function runChannel(q: QueueConfig, runId: number, direction: 'up' | 'down'): string {
  return `goshift:${q.name}:run:${runId}:${direction}`;
}

/**
 * A worker took over a shard whose worker died: it continues after the shard's saved position,
 * whose counters (over every run of the copy) are `saved`.
 */
export interface ResumedMessage {
  type: 'resumed';
  runId: number;
  shardId: string;
  /** The worker that continues it. */
  worker: string;
  saved: { rowsRead: number; rowsWritten: number; bytes: number };
}

/** Workers -> coordinator. `acquire.reqId` is prefixed with the worker's name (`<worker>|<reqId>`). */
export type UpMessage = ProgressMessage | AcquireMessage | ResumedMessage;

/** A (new) coordinator is listening: workers send again the rate-limit requests still unanswered. */
export interface HelloMessage {
  type: 'hello';
  runId: number;
}

/** Coordinator -> workers. */
export type DownMessage = GrantedMessage | ControlMessage | HelloMessage;
