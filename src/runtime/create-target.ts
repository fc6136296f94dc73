import type { PluginContext, TableShape } from '../sdk';
import { KeyTemplate } from '../sdk/key-template';
import { mappingParams } from '../records/params';
import { TaskError } from '../errors';
import type { JobSpec } from './job-spec';

/**
 * `params.create_target`: the DDL that creates the missing target from the source's description,
 * run unless `dryRun`. Undefined when the target exists.
 * @throws TaskError when the source cannot describe itself or the target store cannot create one
 */
export async function createTarget(spec: JobSpec, readerCtx: PluginContext, writerCtx: PluginContext, dryRun: boolean): Promise<string | undefined> {
  const reader = spec.readerPlugin.reader!;
  const writer = spec.writerPlugin.writer!;
  const task = spec.task;
  if (!writer.createTarget) throw new TaskError(`task ${task.id}: params.create_target: a ${task.to_db_type} target cannot be created by goshift; create it yourself`);
  const shape = reader.describe ? await reader.describe(readerCtx) : declaredShape(spec);
  const ddl = await writer.createTarget(writerCtx, shape, { dryRun: true });
  if (ddl === undefined || dryRun) return ddl;
  return writer.createTarget(writerCtx, shape, { dryRun: false });
}

/** Type of a declared key column (text parsed out of a key) and of every other declared column. */
export const DECLARED_KEY_TYPE = 'varchar(255) CHARACTER SET utf8mb4';
export const DECLARED_VALUE_TYPE = 'longtext CHARACTER SET utf8mb4';

/**
 * The shape of a source that cannot describe itself (redis, files): the columns the task declares
 * in `params.columns`. The fields of `key_template` are the key, as `varchar(255)`; every other
 * column is `longtext` (utf8mb4) and nullable. `ttl_column` and `expire_at_column`, when declared, are `bigint`.
 * @throws TaskError when `params.columns` is empty
 */
export function declaredShape(spec: JobSpec): TableShape {
  const { task, params } = spec;
  if (params.columns.length === 0) {
    throw new TaskError(`task ${task.id}: params.create_target: a ${task.from_db_type} source cannot describe its columns; list them in params.columns (the fields of key_template become the key) or create the target yourself`);
  }
  const { key_template: template, ttl_column: ttl, expire_at_column: expireAt, value_format: format, key_column: keyColumn } = mappingParams(params);
  // Envelope rows are keyed by the key column; other mappings by the key template's fields.
  const keyFields = format === 'envelope' ? [keyColumn || 'key'] : template ? new KeyTemplate(template).columns : [];
  const key = keyFields.filter((c) => params.columns.includes(c));
  return {
    columns: params.columns.map((name) => ({
      name,
      type: key.includes(name) ? DECLARED_KEY_TYPE : name === ttl || name === expireAt ? 'bigint' : DECLARED_VALUE_TYPE,
      nullable: !key.includes(name),
    })),
    key,
  };
}
