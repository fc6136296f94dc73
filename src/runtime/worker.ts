/**
 * The piscina worker: runs one shard per call. Per run and thread it loads the config file once
 * (payloads carry no secrets), opens the reader and writer sessions and a metadata pool lazily,
 * and reuses them for every shard the thread is given; they close when the main thread
 * broadcasts `close` for the run. Positions are saved here, right after the writer flushed, and
 * dirty records are stored here (`goshift_dirty`) as soon as they are found.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { RunRateLimiter } from './rate-limit';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { DirectCopySession, Plugin, ReaderSession, WriterSession } from '../sdk';
import { writeBatchOf } from '../sdk';
import { resolveConnection } from '../config/connections';
import { envOfConfigFile, loadConfig } from '../config/load';
import { serializeError } from '../errors';
import { createLogger } from '../logger';
import { openMetaDb, MetaDb } from '../meta/meta-db';
import { addCounters } from '../meta/counters';
import { PositionStore } from '../meta/position-store';
import { BatchConverter, createBridge } from '../records/bridge';
import { getPlugin, resolvePlugin } from '../registry';
import { readerContext, writerContext, RunParts } from './context';
import { LazySession } from './lazy-session';
import { channelName, ChannelMessage, WorkerResult, WorkerTask } from './messages';
import { DurablePoint, runShard } from './shard-runner';
import { threadShare } from './thread-share';
import { dirtyBudget, errorLimits, recordJson } from './dirty-budget';
import { DirtyStore } from '../meta/dirty-store';
import { transientFor } from './transient';

interface RunSessions {
  /** Reader and writer sessions, or one direct-copy session when the run copies inside the store. */
  reader?: LazySession<ReaderSession>;
  writer?: LazySession<WriterSession>;
  direct?: LazySession<DirectCopySession>;
  meta: LazySession<{ db: MetaDb; close(): Promise<void> }>;
  plugins: Plugin[];
  /** Maps read batches to the kind the writer takes; undefined when the kinds match. */
  convert?: BatchConverter;
  channel: BroadcastChannel;
  abort: AbortController;
  /** The run's rate limit, asked before each write; undefined when the task sets none. */
  throttle?: (rows: number, bytes: number) => Promise<void>;
}

let requests = 0;

/**
 * Ask the main thread's budget (`RunRateLimiter`) for a batch and wait for its grant; a cancel
 * ends the wait at once.
 */
function throttleOn(channel: BroadcastChannel, runId: number, waiting: Map<string, () => void>, signal: AbortSignal) {
  return (rows: number, bytes: number): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    const reqId = `${threadId}:${++requests}`;
    return new Promise<void>((resolve) => {
      const done = () => {
        waiting.delete(reqId);
        signal.removeEventListener('abort', done);
        resolve();
      };
      waiting.set(reqId, done);
      signal.addEventListener('abort', done, { once: true });
      channel.postMessage({ type: 'acquire', runId, reqId, rows, bytes } satisfies ChannelMessage);
    });
  };
}

const runs = new Map<number, RunSessions>();

const poolData = Piscina.workerData as { preload?: string[]; cancelFlag?: Int32Array; threads?: number; inFlight?: number; slots?: Int32Array } | undefined;

/** This thread's share of the shards in flight: what its connection pools are sized by (see threadShare). */
const connectionShare = poolData?.slots && poolData.threads && poolData.inFlight
  ? threadShare(poolData.inFlight, poolData.threads, Atomics.add(poolData.slots, 0, 1))
  : undefined;

// Load the run's plugins while the main thread is still planning.
for (const type of poolData?.preload ?? []) getPlugin(type);

/** Whether the pool (one per run) was cancelled, even before this thread heard the broadcast. */
function poolCancelled(): boolean {
  return poolData?.cancelFlag ? Atomics.load(poolData.cancelFlag, 0) === 1 : false;
}

function sessionsFor(t: WorkerTask): RunSessions {
  const existing = runs.get(t.runId);
  if (existing) return existing;
  const abort = new AbortController();
  const logger = createLogger(t.log, { task: t.task.id, run: t.runId, thread: threadId });
  const config = loadConfig({ env: envOfConfigFile(t.configFile), dir: path.dirname(t.configFile), usedEnv: t.usedEnv });
  const readerPlugin = resolvePlugin(t.task.from_db_type, 'reader', `task ${t.task.id} from_db_type`);
  const writerPlugin = resolvePlugin(t.task.to_db_type, 'writer', `task ${t.task.id} to_db_type`);
  const parts: RunParts = {
    task: t.task, params: t.params, mode: t.mode, runState: t.runState, logger, signal: abort.signal, shardsPerThread: Math.min(t.shardsPerThread, connectionShare ?? t.shardsPerThread), keys: t.keys,
    source: resolveConnection(config, 'from', readerPlugin, t.task.from_app, t.task.from_db),
    target: resolveConnection(config, 'to', writerPlugin, t.task.to_app, t.task.to_db),
  };
  const opened: Pick<RunSessions, 'reader' | 'writer' | 'direct'> = t.direct
    ? { direct: new LazySession(() => readerPlugin.direct!.open(readerContext(parts), writerContext(parts))) }
    : {
      reader: new LazySession(() => readerPlugin.reader!.open(readerContext(parts))),
      writer: new LazySession(() => writerPlugin.writer!.open(writerContext(parts))),
    };
  const meta = new LazySession(async () => {
    const db = await openMetaDb(config);
    return { db, close: () => db.end() };
  });
  const channel = new BroadcastChannel(channelName(t.runId));
  channel.unref();
  const convert = t.direct ? undefined : createBridge(readerPlugin, writerPlugin, readerContext(parts), writerContext(parts));
  const waiting = new Map<string, () => void>();
  const throttle = RunRateLimiter.wanted(t.params) && !t.direct ? throttleOn(channel, t.runId, waiting, abort.signal) : undefined;
  const sessions: RunSessions = { ...opened, convert, meta, plugins: [readerPlugin, writerPlugin], channel, abort, throttle };
  channel.onmessage = (event) => {
    const msg = (event as { data: ChannelMessage }).data;
    if (msg.runId !== t.runId) return;
    if (msg.type === 'granted') waiting.get(msg.reqId)?.();
    if (msg.type === 'cancel') abort.abort();
    if (msg.type === 'close') void closeRun(t.runId, logger);
  };
  runs.set(t.runId, sessions);
  return sessions;
}

async function closeRun(runId: number, logger: { warn(msg: string): unknown }): Promise<void> {
  const s = runs.get(runId);
  if (!s) return;
  runs.delete(runId);
  for (const session of [s.reader, s.writer, s.direct, s.meta]) {
    if (!session) continue;
    try {
      await session.close();
    } catch (err) {
      logger.warn(`closing a session failed: ${(err as Error).message}`);
    }
  }
  s.channel.postMessage({ type: 'closed', runId, threadId } satisfies ChannelMessage);
  s.channel.close();
}

/** piscina entry point: copy one shard and return its counters (errors are returned, not thrown). */
export default async function runShardTask(t: WorkerTask): Promise<WorkerResult> {
  const result: WorkerResult = { shardId: t.shard.id, threadId, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0, rowsExpired: 0, rowsDirty: 0 };
  // A `--key` run leaves the positions of the task's full copy alone: it saves none.
  const keysRun = t.keys.length > 0;
  let plugins: Plugin[] = [];
  try {
    const s = sessionsFor(t);
    plugins = s.plugins;
    if (poolCancelled()) s.abort.abort();
    const positions = new PositionStore((await s.meta.get()).db);
    const save = async (point: DurablePoint): Promise<void> => {
      if (!keysRun) await positions.save(t.task.id, {
        fingerprint: t.fingerprint, identity: t.identity, runId: t.runId, shardId: t.shard.id,
        status: point.done ? 'done' : 'partial', position: point.position,
        rowsRead: t.base.rowsRead + point.rowsRead, rowsWritten: t.base.rowsWritten + point.rowsWritten, bytes: t.base.bytes + point.bytes,
      }, t.shard.label);
      result.saved = { position: point.position, rowsRead: point.rowsRead, rowsWritten: point.rowsWritten, bytes: point.bytes, rowsDirty: point.rowsDirty ?? 0 };
    };
    if (s.direct) {
      const totals = await (await s.direct.get()).copy(t.shard, { signal: s.abort.signal });
      const delta = { ...totals, rowsFailed: 0 };
      if (!s.abort.signal.aborted) await save({ position: null, ...totals, done: true });
      s.channel.postMessage({ type: 'progress', runId: t.runId, shardId: t.shard.id, ...delta } satisfies ChannelMessage);
      return { ...result, ...delta };
    }
    const [reader, writer] = await Promise.all([s.reader!.get(), s.writer!.get()]);
    const keysWritten = keysRun ? new Set<string>() : undefined;
    const limits = errorLimits(t.params);
    const rejects = new DirtyStore((await s.meta.get()).db);
    const dirty = limits && dirtyBudget(t.params, t.task.id, limits, envOfConfigFile(t.configFile), (found) => rejects.add(t.runId, t.task.id,
      found.map((d) => ({ shardId: t.shard.id, key: d.key, reason: d.reason, record: recordJson(d.record) }))));
    // A write mode that is not idempotent marks the shard started before its first write: a batch
    // that lands just before a kill, with no position saved yet, is then replayed, not duplicated.
    if (!keysRun && checkpointMs(t) === 0 && t.from === undefined && !t.replay) await save({ position: null, rowsRead: 0, rowsWritten: 0, bytes: 0, done: false });
    const totals = await runShard(
      reader,
      writer,
      t.shard,
      {
        readBatch: t.params.read_batch, writeBatch: writeBatchOf(t.params, s.plugins[1].writer), signal: s.abort.signal, where: `task ${t.task.id} shard ${t.shard.id}`,
        from: t.from, replayFirst: t.replay, checkpointMs: checkpointMs(t), save, convert: s.convert, throttle: s.throttle,
        keys: keysRun ? new Set(t.keys) : undefined, keysWritten, dirty, propagateDeletes: t.params.propagate_deletes,
        // Copies read one batch ahead; a change feed (stream mode) never does (see ShardRunOptions).
        readAhead: t.mode !== 'stream',
      },
      (delta) => {
        addCounters(result, { ...delta, rowsDeleted: undefined });
        s.channel.postMessage({ type: 'progress', runId: t.runId, shardId: t.shard.id, ...delta } satisfies ChannelMessage);
      },
    );
    return { ...result, ...totals, keysWritten: keysWritten && [...keysWritten], stopped: Boolean(t.shard.unbounded && s.abort.signal.aborted) };
  } catch (err) {
    return { ...result, error: serializeError(err, transientFor(plugins)) };
  }
}

/**
 * How often a shard saves its position. A write mode that is not idempotent (`insert`) saves after
 * every batch, so a resume replays at most the one batch in flight when the run was cut off.
 */
function checkpointMs(t: WorkerTask): number {
  if (t.params.write_mode === 'insert') return 0;
  return Math.max(0, Number(t.params.checkpoint_seconds ?? 1)) * 1000;
}
