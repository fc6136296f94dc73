import type { PluginContext, ReadBack, TaskParams, TaskRow } from '../sdk';
import { mappedColumn } from '../sdk';

/**
 * The task as the target store's own reader sees it: the target's type, app, db and table in the
 * `from_*` fields, so a reader plugin reads what the writer wrote. The target plugin's
 * {@link ReadBack.table} turns the written table into the one its reader reads (file: a directory
 * `out/` reads `out/part-*`; redis: a key template `user:{id}` reads `user:*`).
 */
export function mirroredTask(task: TaskRow, readBack: ReadBack | undefined): TaskRow {
  const written = (task.to_table ?? '').trim();
  const table = readBack?.table?.(written) ?? written;
  return { ...task, from_db_type: task.to_db_type, from_app: task.to_app, from_db: task.to_db, from_table: table };
}

/**
 * Params for reading the target back: the source's filters are dropped (`where`, a column map that
 * names source columns, and the target reader's own {@link ReadBack.sourceFilters} such as a
 * DynamoDB scan filter), the key and columns are the target's names.
 * @param keyColumns the target's key columns (empty: the target reader finds its own key)
 */
export function targetReadParams(params: TaskParams, keyColumns: string[], readBack: ReadBack | undefined): TaskParams {
  const out: TaskParams = {
    ...params,
    where: '',
    column_map: {},
    columns: params.columns.length ? [...new Set([...params.columns.map((c) => mappedColumn(params, c)), ...keyColumns])] : [],
    pk: { src: keyColumns.join(','), dest: '' },
    diff_column: { src: '', dest: '' },
    split: { pk: [] },
  };
  for (const [k, empty] of Object.entries(readBack?.sourceFilters ?? {})) {
    if (k in out) out[k] = empty;
  }
  return out;
}

/**
 * A reader context for the target side: the target's connection entry (validated with the same
 * plugin's schema), the mirrored task and target-side params; portable records only (no native
 * payloads), so both sides compare as rows, entries or objects.
 */
export function targetReaderContext(writerCtx: PluginContext, keyColumns: string[], readBack: ReadBack | undefined): PluginContext {
  return {
    ...writerCtx,
    task: mirroredTask(writerCtx.task, readBack),
    params: targetReadParams(writerCtx.params, keyColumns, readBack),
    peerNative: false,
    readOnce: false,
    mode: 'init',
    keys: [],
    logger: writerCtx.logger.child({ side: 'to-read' }),
  };
}
