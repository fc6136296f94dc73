import type { Batch, RecordKind, Shard, SyncRecord, VerifyOptions, WriterSession } from '../sdk';
import { writeBatchOf } from '../sdk';
import { writerAppends, writerDeletes } from '../records/bridge';
import { chunks } from '../runtime/shard-runner';
import type { JobSpec } from '../runtime/job-spec';
import { keyRecord } from './canonical';
import type { VerifyContexts } from './contexts';
import { Comparison, targetIdOf } from './compare';
import { scanStore } from './scan';

/** What a repair did, and what it could not do (one line each). */
export interface RepairDone {
  copied: number;
  deleted: number;
  notes: string[];
}

/** The shard a repair writes under (writers key their per-shard state by id). */
const repairShard: Shard = { id: 'verify-repair', label: 'goshift verify --repair', spec: {} };

/** Write `batch` in `size`-record chunks; resolves to the records written. */
async function writeChunked(writer: WriterSession, batch: Batch, size: number, how: 'write' | 'delete'): Promise<number> {
  let n = 0;
  for (const chunk of chunks(batch, size)) n += how === 'write' ? await writer.write(chunk, repairShard) : await writer.delete!(chunk, repairShard);
  return n;
}

/**
 * Re-copy what a comparison found through the task's writer (never the source's):
 * - a target written by key (tables, keys, objects): the held source records of the missing and
 *   different keys are written again; with `deleteExtra`, extra keys are deleted through
 *   `WriterSession.delete`, or a note says the writer cannot delete;
 * - a single-file target (a writer that appends): the file is written anew from what it holds,
 *   the different records replaced, the missing ones added, extra ones left out with `deleteExtra`.
 */
export async function repairDifferences(spec: JobSpec, ctx: VerifyContexts, found: Comparison, opts: VerifyOptions): Promise<RepairDone> {
  const factory = spec.writerPlugin.writer!;
  const appends = writerAppends(spec.writerPlugin, spec.params);
  const to = spec.task.to_db_type;
  if (appends && !spec.writerPlugin.readBack?.rewritable?.((spec.task.to_table ?? '').trim())) {
    return { copied: 0, deleted: 0, notes: [`--repair: a ${to} target that appends parts cannot be patched by key; nothing was re-copied (run the task again to rewrite it)`] };
  }
  const writer = await factory.open(ctx.writer);
  try {
    if (appends) return await rewrite(spec, ctx, found, opts, writer);
    let copied = 0;
    for (const batch of found.repairable) copied += await writeChunked(writer, batch, writeBatchOf(spec.params, spec.writerPlugin.writer), 'write');
    let deleted = 0;
    const notes: string[] = [];
    if (opts.deleteExtra && found.extraIds.length) {
      if (writerDeletes(spec.writerPlugin, spec.params) && writer.delete) {
        const byKind = new Map<RecordKind, SyncRecord[]>();
        for (const [kind, id] of found.extraIds) {
          const list = byKind.get(kind) ?? [];
          list.push(keyRecord(kind, id, ctx.rows.key));
          byKind.set(kind, list);
        }
        for (const [kind, records] of byKind) deleted += await writeChunked(writer, { kind, records, bytes: 0 }, writeBatchOf(spec.params, spec.writerPlugin.writer), 'delete');
      } else {
        notes.push(`--delete-extra: the ${to} writer cannot delete; ${found.extraIds.length} extra key(s) kept`);
      }
    }
    await writer.flush(repairShard);
    await writer.end?.(repairShard);
    return { copied, deleted, notes };
  } finally {
    await writer.close();
  }
}

/** Write a single-file target anew: its records minus the differing (and, when asked, extra) ones, plus the source's. */
async function rewrite(spec: JobSpec, ctx: VerifyContexts, found: Comparison, opts: VerifyOptions, writer: WriterSession): Promise<RepairDone> {
  const extra = new Set(found.extraIds.map(([kind, id]) => `${kind[0]}${id}`));
  let deleted = 0;
  // One lane: the file's records keep their order.
  await scanStore(spec.writerPlugin, ctx.targetRead, { concurrency: 1, signal: opts.signal, where: `target ${spec.task.to_db_type} ${spec.task.to_db}.${spec.task.to_table}` }, async (batch) => {
    const kind = batch.kind ?? 'row';
    const records = batch.records.filter((r) => {
      const id = targetIdOf(kind, r, ctx.rows);
      if (found.differingIds.has(id)) return false;
      if (opts.deleteExtra && extra.has(id)) {
        deleted++;
        return false;
      }
      return true;
    });
    if (records.length) await writeChunked(writer, { ...batch, records, position: undefined }, writeBatchOf(spec.params, spec.writerPlugin.writer), 'write');
  });
  let copied = 0;
  for (const batch of found.repairable) copied += await writeChunked(writer, batch, writeBatchOf(spec.params, spec.writerPlugin.writer), 'write');
  await writer.flush(repairShard);
  await writer.end?.(repairShard);
  await spec.writerPlugin.writer!.after?.(ctx.writer);
  return { copied, deleted, notes: [] };
}
