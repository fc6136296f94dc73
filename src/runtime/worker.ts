/**
 * The piscina worker: runs one shard per call. Reader and writer sessions open lazily, once per
 * thread and run, and are reused for every shard the thread is given; they close when the main
 * thread broadcasts `close` for the run.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { DirectCopySession, ReaderSession, WriterSession } from '../contract';
import { serializeError } from '../errors';
import { createLogger } from '../logger';
import { getPlugin, resolvePlugin } from '../registry';
import { readerContext, writerContext, RunParts } from './context';
import { channelName, ChannelMessage, WorkerResult, WorkerTask } from './messages';
import { LazySession } from './lazy-session';
import { runShard } from './shard-runner';

interface RunSessions {
  /** Reader and writer sessions, or one direct-copy session when the run copies inside the store. */
  reader?: LazySession<ReaderSession>;
  writer?: LazySession<WriterSession>;
  direct?: LazySession<DirectCopySession>;
  channel: BroadcastChannel;
  abort: AbortController;
}

const runs = new Map<number, RunSessions>();

// Load the run's plugins while the main thread is still planning.
for (const type of (Piscina.workerData as { preload?: string[] } | undefined)?.preload ?? []) getPlugin(type);

function sessionsFor(t: WorkerTask): RunSessions {
  const existing = runs.get(t.runId);
  if (existing) return existing;
  const abort = new AbortController();
  const logger = createLogger(t.log, { task: t.task.id, run: t.runId, thread: threadId });
  const parts: RunParts = { ...t, source: t.source, target: t.target, logger, signal: abort.signal };
  const readerPlugin = resolvePlugin(t.task.from_db_type, 'reader', `task ${t.task.id} from_db_type`);
  const writerPlugin = resolvePlugin(t.task.to_db_type, 'writer', `task ${t.task.id} to_db_type`);
  const opened: Pick<RunSessions, 'reader' | 'writer' | 'direct'> = t.direct
    ? { direct: new LazySession(() => readerPlugin.direct!.open(readerContext(parts), writerContext(parts))) }
    : {
      reader: new LazySession(() => readerPlugin.reader!.open(readerContext(parts))),
      writer: new LazySession(() => writerPlugin.writer!.open(writerContext(parts))),
    };
  const channel = new BroadcastChannel(channelName(t.runId));
  channel.unref();
  const sessions: RunSessions = { ...opened, channel, abort };
  channel.onmessage = (event) => {
    const msg = (event as { data: ChannelMessage }).data;
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
  for (const session of [s.reader, s.writer, s.direct]) {
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
  const result: WorkerResult = { shardId: t.shard.id, threadId, rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
  try {
    const s = sessionsFor(t);
    if (s.direct) {
      const totals = await (await s.direct.get()).copy(t.shard, { signal: s.abort.signal });
      const delta = { ...totals, rowsFailed: 0 };
      s.channel.postMessage({ type: 'progress', runId: t.runId, shardId: t.shard.id, ...delta } satisfies ChannelMessage);
      return { ...result, ...delta };
    }
    const [reader, writer] = await Promise.all([s.reader!.get(), s.writer!.get()]);
    const totals = await runShard(
      reader,
      writer,
      t.shard,
      { readBatch: t.params.read_batch, writeBatch: t.params.write_batch, signal: s.abort.signal, where: `task ${t.task.id} shard ${t.shard.id}` },
      (delta) => {
        result.rowsRead += delta.rowsRead;
        result.rowsWritten += delta.rowsWritten;
        result.rowsFailed += delta.rowsFailed;
        result.bytes += delta.bytes;
        s.channel.postMessage({ type: 'progress', runId: t.runId, shardId: t.shard.id, ...delta } satisfies ChannelMessage);
      },
    );
    return { ...result, ...totals };
  } catch (err) {
    return { ...result, error: serializeError(err) };
  }
}
