import type { PluginContext } from '../sdk';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../sdk';
import { mappedColumn } from '../sdk';
import { KeyTemplate } from '../sdk/key-template';

/**
 * The task as the target store's own reader sees it: the target's type, app, db and table in the
 * `from_*` fields, so a reader plugin reads what the writer wrote. A `to_table` naming a
 * directory (`out/`) reads its parts (`out/part-*`); a key template (`user:{id}`) reads the keys
 * it matches (`user:*`).
 */
export function mirroredTask(task: TaskRow): TaskRow {
  let table = (task.to_table ?? '').trim();
  if (table.endsWith('/') && task.to_db_type === 'file') table = `${table}part-*`;
  if (table.includes('{') && task.to_db_type === 'redis') table = new KeyTemplate(table).matchPattern();
  return { ...task, from_db_type: task.to_db_type, from_app: task.to_app, from_db: task.to_db, from_table: table };
}

/**
 * Params for reading the target back: the source's filters are dropped (`where`, a DynamoDB scan
 * filter, a column map that names source columns), the key and columns are the target's names.
 * @param keyColumns the target's key columns (empty: the target reader finds its own key)
 */
export function targetReadParams(params: TaskParams, keyColumns: string[]): TaskParams {
  const out: TaskParams = {
    ...params,
    where: '',
    column_map: {},
    columns: params.columns.length ? [...new Set([...params.columns.map((c) => mappedColumn(params, c)), ...keyColumns])] : [],
    pk: { src: keyColumns.join(','), dest: '' },
    diff_column: { src: '', dest: '' },
    split: { pk: [] },
  };
  // Source-only filters of plugins whose reader may be the target's (dynamodb scan filter, redis key filters).
  for (const [k, empty] of Object.entries({ filter_expression: '', filter_names: {}, filter_values: {}, key_prefixes: [], exclude_prefixes: [], types: [] })) {
    if (k in out) out[k] = empty;
  }
  return out;
}

/**
 * A reader context for the target side: the target's connection entry (validated with the same
 * plugin's schema), the mirrored task and target-side params; portable records only (no native
 * payloads), so both sides compare as rows, entries or objects.
 */
export function targetReaderContext(writerCtx: PluginContext, keyColumns: string[]): PluginContext {
  return {
    ...writerCtx,
    task: mirroredTask(writerCtx.task),
    params: targetReadParams(writerCtx.params, keyColumns),
    peerNative: false,
    readOnce: false,
    mode: 'init',
    keys: [],
    logger: writerCtx.logger.child({ side: 'to-read' }),
  };
}
