import { PositionStore } from '../meta/position-store';
import type { MetaDb } from '../meta/meta-db';
import type { PositionCounts, WorkerResult, WorkerTask } from '../runtime/messages';

/** A shard job as a worker runs it: maybe moved past its payload's start. */
export interface ResumedTask {
  task: WorkerTask;
  /** Rows the shard's earlier attempts of this run saved beyond the payload's base (0 when none). */
  kept: PositionCounts;
  /** The saved totals the job continues from, when it moved. */
  saved?: PositionCounts;
  /** The shard was already finished (its worker died after saving it as done). */
  done?: WorkerResult;
}

/**
 * A job taken over from a worker that died continues after the shard's last saved position, not
 * from its payload's start: positions are saved in the metadata DB by whoever copied them. Only
 * positions of this run and this copy count, and only when they are ahead of the payload.
 */
export async function resumeFromStore(meta: MetaDb, t: WorkerTask): Promise<ResumedTask> {
  const none = { rowsRead: 0, rowsWritten: 0, bytes: 0 };
  if (t.keys.length) return { task: t, kept: none };
  const saved = (await new PositionStore(meta).load(t.task.id)).get(t.fingerprint);
  if (!saved || saved.runId !== t.runId || saved.identity !== t.identity || saved.rowsRead < t.base.rowsRead) return { task: t, kept: none };
  const kept = { rowsRead: saved.rowsRead - t.base.rowsRead, rowsWritten: Math.max(0, saved.rowsWritten - t.base.rowsWritten), bytes: Math.max(0, saved.bytes - t.base.bytes) };
  if (saved.status === 'done') {
    return { task: t, kept, saved, done: { shardId: t.shard.id, threadId: -1, rowsFailed: 0, ...kept, saved: { position: saved.position, ...kept } } };
  }
  if (saved.position === null || kept.rowsRead === 0) return { task: t, kept: none };
  const task: WorkerTask = { ...t, from: saved.position, replay: true, base: { rowsRead: saved.rowsRead, rowsWritten: saved.rowsWritten, bytes: saved.bytes } };
  return { task, kept, saved };
}

/** A result of the continued part (which started at `resumed.task.from`), counted from the payload's start. */
export function withKept(r: WorkerResult, resumed: ResumedTask): WorkerResult {
  const { kept } = resumed;
  if (!kept.rowsRead && !kept.rowsWritten && !kept.bytes) return r;
  return {
    ...r, rowsRead: r.rowsRead + kept.rowsRead, rowsWritten: r.rowsWritten + kept.rowsWritten, bytes: r.bytes + kept.bytes,
    saved: r.saved ? { ...r.saved, rowsRead: r.saved.rowsRead + kept.rowsRead, rowsWritten: r.saved.rowsWritten + kept.rowsWritten, bytes: r.saved.bytes + kept.bytes } : { position: resumed.task.from ?? null, ...kept },
  };
}
