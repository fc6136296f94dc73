import type { PluginContext, TableShape } from '../../src/sdk';
import { WriteError } from '../../src/sdk';
import { withPool } from './connection';
import { detectKey, tableColumns } from './schema-info';
import { qualifiedTable, quoteIdent } from './sql';
import { targetColumnName } from './writer';

/** The source table's columns (with their mysql types), key and, for a mysql peer, its own DDL. */
export async function describeSource(ctx: PluginContext): Promise<TableShape> {
  return withPool(ctx, 'from', async (pool) => {
    const { from_db: db, from_table: table } = ctx.task;
    const [rows] = await pool.query(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, CHARACTER_SET_NAME AS charset
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [db, table],
    );
    const list = rows as { name: string; type: string; nullable: string; charset: string | null }[];
    if (list.length === 0) throw new WriteError(`task ${ctx.task.id}: params.create_target: source table ${db}.${table} does not exist`);
    const columns = list.map((c) => ({ name: c.name, type: c.charset && /char|text|enum|set/i.test(c.type) ? `${c.type} CHARACTER SET ${c.charset}` : c.type, nullable: c.nullable === 'YES' }));
    const key = await detectKey(pool, db, table);
    const shape: TableShape = { columns, key };
    if (ctx.peerNative) {
      const [ddl] = await pool.query({ sql: `SHOW CREATE TABLE ${qualifiedTable(db, table, 'source')}`, rowsAsArray: true });
      shape.nativeDdl = String((ddl as unknown[][])[0][1]);
    }
    return shape;
  });
}

/**
 * Create the target table when it is missing. With the source's own DDL (a mysql source) and no
 * renamed or dropped columns, the table is created exactly like the source, indexes included;
 * otherwise from the columns the task copies (renamed by `pk.dest` / `column_map`) and the key.
 * @returns the DDL run (or that would run with `dryRun`), undefined when the table exists
 */
export async function createTargetTable(ctx: PluginContext, shape: TableShape, opts: { dryRun: boolean }): Promise<string | undefined> {
  return withPool(ctx, 'to', async (pool) => {
    if ((await tableColumns(pool, ctx.task.to_db, ctx.task.to_table)).length > 0) return undefined;
    const ddl = targetDdl(ctx, shape);
    if (!opts.dryRun) {
      try {
        await pool.query(ddl);
      } catch (err) {
        throw new WriteError(`task ${ctx.task.id}: params.create_target: creating ${ctx.task.to_db}.${ctx.task.to_table} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return ddl;
  });
}

/** The CREATE TABLE statement for the target. */
export function targetDdl(ctx: PluginContext, shape: TableShape): string {
  const target = qualifiedTable(ctx.task.to_db, ctx.task.to_table, `task ${ctx.task.id} target`);
  const selected = ctx.params.columns.length ? shape.columns.filter((c) => ctx.params.columns.includes(c.name) || shape.key.includes(c.name)) : shape.columns;
  const renamed = selected.some((c) => targetColumnName(ctx, c.name) !== c.name);
  if (shape.nativeDdl && !renamed && selected.length === shape.columns.length) {
    // Same columns, same names: the source's own statement, on the target's name.
    return shape.nativeDdl.replace(/^CREATE TABLE\s+(`(?:[^`]|``)+`\.)?`(?:[^`]|``)+`/i, `CREATE TABLE IF NOT EXISTS ${target}`);
  }
  const defs = selected.map((c) => `${quoteIdent(targetColumnName(ctx, c.name), 'target column')} ${mysqlType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
  const key = shape.key.filter((k) => selected.some((c) => c.name === k)).map((k) => quoteIdent(targetColumnName(ctx, k), 'key column'));
  if (key.length) defs.push(`PRIMARY KEY (${key.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${target} (\n  ${defs.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/** A source type as a mysql column type: mysql types as they are, anything else as text. */
function mysqlType(type: string): string {
  return /^[a-z]+(\s*\([^)]*\))?(\s+unsigned)?(\s+zerofill)?(\s+CHARACTER SET \w+)?$/i.test(type.trim()) ? type : 'longtext';
}

