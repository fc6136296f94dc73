import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { Shard } from '../sdk';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../sdk';

/**
 * params keys that change how a copy runs but not what it copies: a resume stays valid when only
 * these differ between the interrupted run and the rerun.
 */
const operationalKeys = new Set([
  'worker_num', 'read_batch', 'write_batch', 'retries', 'retry_max_seconds', 'checkpoint_seconds',
  'max_statement_bytes', 'load_data', 'direct_copy', 'shard_rows', 'pre_sql', 'post_sql',
]);

/** What a copy is: a resume point belongs to exactly this. */
export interface CopyIdentity {
  /** sha1 of `fields`. */
  hash: string;
  /** Source, target, mode and every params key that shapes the data (filters, columns, mapping, write mode). */
  fields: Record<string, unknown>;
}

/** The identity of a copy of `task` with `params` in `mode`. */
export function copyIdentity(task: TaskRow, params: TaskParams, mode: string): CopyIdentity {
  const fields: Record<string, unknown> = {
    from: `${task.from_db_type}:${task.from_app}_${task.from_db}/${task.from_table}`,
    to: `${task.to_db_type}:${task.to_app}_${task.to_db}/${task.to_table}`,
    mode,
  };
  for (const [key, value] of Object.entries(params)) if (!operationalKeys.has(key)) fields[`params.${key}`] = value;
  return { hash: sha1(stableStringify(fields)), fields };
}

/** Names of the identity fields that differ between two identities (for the "starting over" message). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => stableStringify(before[k] ?? null) !== stableStringify(after[k] ?? null)).sort();
}

/**
 * A shard's identity across runs: the sha1 of its spec's canonical JSON (and whether it is
 * unbounded), never its label or its index in the plan.
 */
export function shardFingerprint(shard: Shard): string {
  return sha1(stableStringify({ spec: shard.spec, unbounded: Boolean(shard.unbounded) }));
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
