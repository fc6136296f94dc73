/** Checks a run (and `plan`) makes before anything moves: a `--key` run, a stream run, a direct copy. */
import { TaskError } from '../errors';
import { readKinds, writeKinds, writerDeletes } from '../records/bridge';
import { allPlugins } from '../registry';
import { readerContext, RunParts, writerContext } from './context';
import { errorLimits } from './dirty-budget';
import type { JobSpec } from './job-spec';
import { RunRateLimiter } from './rate-limit';

/**
 * `--key` names key-value entries: the task must read or write them (a redis source or target).
 * @throws TaskError naming the task's stores
 */
export function checkKeysRun(spec: JobSpec): void {
  if (readKinds(spec.readerPlugin).includes('entry') || writeKinds(spec.writerPlugin).includes('entry')) return;
  throw new TaskError(`task ${spec.task.id}: --key names keys of key-value entries, but this ${spec.task.from_db_type} -> ${spec.task.to_db_type} task copies rows on both sides (use it with a redis source or target)`);
}

/**
 * `-mode stream` needs a source that follows changes, and a target that can delete unless the task
 * keeps deleted records (`params.propagate_deletes: false`).
 * @throws TaskError naming the store that cannot
 */
export function checkStreamRun(spec: JobSpec, mode: string): void {
  if (mode !== 'stream') return;
  const { task } = spec;
  const followers = allPlugins().filter((p) => p.streams).map((p) => p.type);
  if (!spec.readerPlugin.streams) {
    throw new TaskError(`task ${task.id}: -mode stream follows changes of ${followers.join(' or ')} sources; a ${task.from_db_type} source can only be copied (-mode init) or, with params.diff_column, incrementally (-mode incr)`);
  }
  if (spec.params.propagate_deletes && !writerDeletes(spec.writerPlugin, spec.params)) {
    throw new TaskError(`task ${task.id}: -mode stream deletes in the target what the source deletes, but its ${task.to_db_type} target cannot delete (with these params); set params.propagate_deletes to false to keep deleted records there`);
  }
}

/** Whether the run copies inside the store (same-store direct copy, e.g. INSERT ... SELECT on one server). */
export async function useDirectCopy(spec: JobSpec, parts: RunParts): Promise<boolean> {
  const direct = spec.readerPlugin.direct;
  // A copy inside the server cannot be paced batch by batch, nor skip a refused row: a rate limit
  // or a dirty-record budget streams it; a change feed (-mode stream) reads its own shards.
  if (parts.mode === 'stream' || !direct || spec.readerPlugin !== spec.writerPlugin || spec.params.direct_copy === false || RunRateLimiter.wanted(spec.params) || errorLimits(spec.params)) return false;
  return direct.supports(readerContext(parts), writerContext(parts));
}
