/**
 * The prepare stage of a run: validate both sides, create the target when asked, let the reader
 * prepare and plan, and decide what an interrupted copy left to resume. Nothing is copied here.
 */
import type { Shard } from '../sdk';
import { CancelledError } from '../errors';
import { PositionStore } from '../meta/position-store';
import { RunStore } from '../meta/run-store';
import { CopyIdentity, copyIdentity } from '../resume/identity';
import { checkTargetColumns } from './column-check';
import { readerContext, writerContext } from './context';
import { createTarget } from './create-target';
import { checkKeysRun, checkStreamRun } from './job-checks';
import type { RunContext } from './job-options';
import { applyResume, decideResume, describeResume, ResumeDecision, ResumedPlan } from './resume';

/** What the prepare stage found: the plan, the copy's identity, and what to resume. */
export interface Prepared {
  planned: Shard[];
  identity: CopyIdentity;
  decision: ResumeDecision;
  resumed: ResumedPlan;
}

/**
 * A step of the run before the copy: it runs `fn`, and the run's cancel signal is checked before
 * and after it.
 * @throws CancelledError when the run was cancelled
 */
export function cancellableStep(ctx: RunContext): <T>(fn: () => Promise<T> | T | undefined) => Promise<T | undefined> {
  const { opts, spec } = ctx;
  return async (fn) => {
    if (opts.signal.aborted) throw new CancelledError(`task ${spec.task.id}: cancelled before copying`);
    const out = await fn();
    if (opts.signal.aborted) throw new CancelledError(`task ${spec.task.id}: cancelled before copying`);
    return out;
  };
}

/** Validate, create the target, prepare, plan and resume; finished shards are recorded as done. */
export async function prepareRun(ctx: RunContext): Promise<Prepared> {
  const { spec, parts, run, opts, tasks } = ctx;
  const { task } = spec;
  const reader = spec.readerPlugin.reader!;
  const writer = spec.writerPlugin.writer!;
  const keys = opts.keys ?? [];
  if (keys.length) checkKeysRun(spec);
  checkStreamRun(spec, opts.mode);
  // The cancel signal covers the whole run: it is checked between every step before the copy.
  const step = cancellableStep(ctx);
  await step(() => reader.validate?.(readerContext(parts)));
  if (spec.params.create_target && (await step(() => createTarget(spec, readerContext(parts), writerContext(parts), true)))) {
    // Creating the target changes it: the run starts here.
    await step(() => opts.onStart());
    const ddl = await step(() => createTarget(spec, readerContext(parts), writerContext(parts), false));
    opts.logger.info(`task ${task.id}: created the target (params.create_target): ${ddl?.split('\n')[0]} ...`);
  }
  await step(() => writer.validate?.(writerContext(parts)));
  await step(() => checkTargetColumns(spec, readerContext(parts), writerContext(parts)));
  Object.assign(parts.runState, await step(() => reader.prepare?.(readerContext(parts))));
  const planned = (await step(() => reader.plan(readerContext(parts))))!;
  run.addPlanned(planned.length);
  const identity = copyIdentity(task, spec.params, opts.mode);
  // A `--key` run is beside the task's full copy: it neither resumes nor forgets its positions.
  const positions = new PositionStore(opts.meta);
  const decision: ResumeDecision = keys.length ? { saved: new Map() } : await decideResume(task.id, identity, Boolean(opts.restart), { positions, tasks });
  if (decision.message) opts.logger.warn(decision.message);
  if (!keys.length) await keepStreamStart(ctx, decision);
  const resumed = applyResume(planned, decision.saved);
  if (decision.saved.size > 0) describeResume(task.id, resumed, planned.length, opts.logger);
  await countResumed(ctx, decision, resumed);
  return { planned, identity, decision, resumed };
}

/** Run-state key of a change feed's start pinned by the reader's prepare before the snapshot. */
const streamStartKey = 'stream_start';

/**
 * A change feed whose reader pinned its start before the snapshot (`runState.stream_start`, a
 * mysql binlog position): a copy that starts over stores the new one with the task's state; a
 * resumed copy continues from the one its snapshot was taken after, never from a newer one.
 */
async function keepStreamStart(ctx: RunContext, decision: ResumeDecision): Promise<void> {
  const { parts, tasks, spec } = ctx;
  if (parts.runState[streamStartKey] === undefined) return;
  if (decision.saved.size === 0) {
    await tasks.setState(spec.task.id, streamStartKey, JSON.stringify(parts.runState[streamStartKey]));
    return;
  }
  const kept = await tasks.getState(spec.task.id, streamStartKey);
  if (kept) parts.runState[streamStartKey] = JSON.parse(kept) as unknown;
}

/**
 * Count what a resume skips. A run re-attached to (the queue's coordinator restarted) finds its
 * own positions: what it copied before counts as copied by this run, not skipped.
 */
async function countResumed(ctx: RunContext, decision: ResumeDecision, resumed: ResumedPlan): Promise<void> {
  const { run, spec, opts } = ctx;
  const runs = new RunStore(opts.meta);
  const ours = (fingerprint: string): boolean => decision.saved.get(fingerprint)?.runId === run.runId;
  for (const { shard, saved } of resumed.done) {
    if (ours(saved.fingerprint)) run.adopted(saved, true);
    else run.skipped(saved.rowsRead, true);
    await runs.checkpoint(run.runId, spec.task.id, shard, 'done', ours(saved.fingerprint) ? saved.rowsRead : 0, ours(saved.fingerprint) ? saved.rowsWritten : 0);
  }
  for (const job of resumed.jobs) {
    if (ours(job.fingerprint)) run.adopted(job.base, false);
    else run.skipped(job.base.rowsRead, false);
  }
}
