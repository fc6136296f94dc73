import type { Logger } from 'winston';
import type { Shard } from '../sdk';
import { PositionStore, SavedPosition } from '../meta/position-store';
import { TaskStore } from '../meta/task-store';
import { changedFields, CopyIdentity, shardFingerprint } from '../resume/identity';
import type { ShardJob } from './pool';

/** Task state key holding the identity fields of the copy whose positions are saved. */
const identityStateKey = 'copy_identity';

/** What a run does with the positions an earlier run saved. */
export interface ResumeDecision {
  /** Saved positions by fingerprint (empty when the copy starts over). */
  saved: Map<string, SavedPosition>;
  /** One line for the log: what is resumed or why not. */
  message?: string;
}

/**
 * Decide whether this run resumes: it does when positions of the same copy (same identity) are
 * saved, i.e. the last run that copied anything failed, was cancelled or died. `restart` forgets
 * them; a changed identity (source, target, mode, filters, mapping) forgets them and says what
 * changed. The positions are cleared and the identity stored when the copy starts over.
 */
export async function decideResume(taskId: number, identity: CopyIdentity, restart: boolean, stores: { positions: PositionStore; tasks: TaskStore }): Promise<ResumeDecision> {
  const saved = await stores.positions.load(taskId);
  let message: string | undefined;
  if (saved.size > 0 && restart) {
    message = `task ${taskId}: --restart: forgetting the interrupted copy's saved positions, copying everything`;
  } else if (saved.size > 0 && [...saved.values()].some((p) => p.identity !== identity.hash)) {
    const before = await stores.tasks.getState(taskId, identityStateKey);
    const changed = before ? changedFields(JSON.parse(before) as Record<string, unknown>, identity.fields) : [];
    message = `task ${taskId}: the interrupted copy had other settings${changed.length ? ` (changed: ${changed.join(', ')})` : ''}; starting over`;
  } else if (saved.size > 0) {
    return { saved };
  }
  await stores.positions.clear(taskId);
  await stores.tasks.setState(taskId, identityStateKey, JSON.stringify(identity.fields));
  return { saved: new Map(), message };
}

/** Shards split by what a resume does with them. */
export interface ResumedPlan {
  /** Shards to run, each from its start or its saved position. */
  jobs: ShardJob[];
  /** Shards an earlier run finished. */
  done: { shard: Shard; saved: SavedPosition }[];
  /** Rows earlier runs copied: finished shards plus the parts before saved positions. */
  rowsSkipped: number;
}

/** Match planned shards to saved positions by fingerprint. */
export function applyResume(planned: Shard[], saved: Map<string, SavedPosition>): ResumedPlan {
  const out: ResumedPlan = { jobs: [], done: [], rowsSkipped: 0 };
  for (const shard of planned) {
    const fingerprint = shardFingerprint(shard);
    const p = saved.get(fingerprint);
    if (p?.status === 'done') {
      out.done.push({ shard, saved: p });
      out.rowsSkipped += p.rowsRead;
    } else if (p && p.position !== null) {
      out.jobs.push({ shard, fingerprint, from: p.position, base: { rowsRead: p.rowsRead, rowsWritten: p.rowsWritten, bytes: p.bytes } });
      out.rowsSkipped += p.rowsRead;
    } else if (p) {
      // Started before the cut but no position saved yet: from the start, its first batch replayed.
      out.jobs.push({ shard, fingerprint, base: { rowsRead: 0, rowsWritten: 0, bytes: 0 }, replay: true });
    } else {
      out.jobs.push({ shard, fingerprint, base: { rowsRead: 0, rowsWritten: 0, bytes: 0 } });
    }
  }
  return out;
}

/** The log line of a resume. */
export function describeResume(taskId: number, plan: ResumedPlan, total: number, log: Logger): void {
  const continued = plan.jobs.filter((j) => j.from !== undefined).length;
  log.info(`task ${taskId}: resuming the interrupted copy: ${plan.done.length} of ${total} shards already done, ${continued} continue after their saved position (${plan.rowsSkipped} rows skipped)`);
}

/**
 * What a run would do with the saved positions, without changing anything (for `plan`).
 * @returns one line: "nothing to resume", "starts over (...)" or what a resume would skip
 */
export async function previewResume(taskId: number, identity: CopyIdentity, planned: Shard[], stores: { positions: PositionStore; tasks: TaskStore }): Promise<string> {
  const saved = await stores.positions.load(taskId);
  if (saved.size === 0) return 'nothing to resume: a run copies everything';
  if ([...saved.values()].some((p) => p.identity !== identity.hash)) {
    const before = await stores.tasks.getState(taskId, identityStateKey);
    const changed = before ? changedFields(JSON.parse(before) as Record<string, unknown>, identity.fields) : [];
    return `the interrupted copy had other settings${changed.length ? ` (changed: ${changed.join(', ')})` : ''}: a run starts over`;
  }
  const plan = applyResume(planned, saved);
  const continued = plan.jobs.filter((j) => j.from !== undefined).length;
  return `${plan.done.length} of ${planned.length} shards already done, ${continued} continue after their saved position (${plan.rowsSkipped} rows skipped; --restart copies everything)`;
}
