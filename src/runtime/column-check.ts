import type { PluginContext } from '../sdk';
import { TaskError } from '../errors';
import { readKinds, writeKinds } from '../records/bridge';
import { mappedColumn } from '../sdk';
import type { JobSpec } from './job-spec';

/**
 * Before any data moves: when the source can describe its columns and the target can list its
 * own (tables, rows on both sides), every column the task copies must exist in the target, so a
 * mismatch is one line up front instead of a failed batch half way through the run.
 * @throws TaskError naming the missing target columns and their source columns
 */
export async function checkTargetColumns(spec: JobSpec, readerCtx: PluginContext, writerCtx: PluginContext): Promise<void> {
  const reader = spec.readerPlugin.reader!;
  const writer = spec.writerPlugin.writer!;
  const rowsOnly = readKinds(spec.readerPlugin).every((k) => k === 'row') && writeKinds(spec.writerPlugin).includes('row');
  if (!reader.describe || !writer.columns || !rowsOnly) return;
  const target = await writer.columns(writerCtx);
  if (!target) return;
  const shape = await reader.describe(readerCtx);
  const wanted = writerCtx.params.columns;
  const copied = wanted.length ? shape.columns.filter((c) => wanted.includes(c.name) || shape.key.includes(c.name)) : shape.columns;
  const have = new Set(target.map((c) => c.toLowerCase()));
  const missing = copied.map((c) => ({ source: c.name, target: mappedColumn(writerCtx.params, c.name) })).filter((c) => !have.has(c.target.toLowerCase()));
  if (missing.length === 0) return;
  const { task } = spec;
  const names = missing.map((m) => (m.target === m.source ? `"${m.target}"` : `"${m.target}" (from source column "${m.source}")`)).join(', ');
  const one = missing.length === 1;
  throw new TaskError(
    `task ${task.id}: target ${task.to_db}.${task.to_table} has no column ${names} that the task copies from ${task.from_db}.${task.from_table}; ` +
      `add ${one ? 'it' : 'them'} to the target, map ${one ? 'it' : 'them'} with params.column_map, or leave ${one ? 'it' : 'them'} out with params.columns`,
  );
}
