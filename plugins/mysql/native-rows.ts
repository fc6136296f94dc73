import type { Pool } from 'mysql2/promise';
import { quoteIdent } from './sql';

/**
 * How the source server writes one column into a native line:
 * - `plain`: numbers, dates and times, whose text never holds a tab, newline, quote or backslash;
 * - `float`: FLOAT as the DOUBLE it converts to exactly (its own text keeps 6 digits and loses bits);
 * - `text`: strings, JSON, ENUM, SET, as `QUOTE()` gives them (enclosed in quotes, backslash
 *   escapes), converted to utf8mb4 first;
 * - `hex`: binary strings, BLOBs and BIT, as hex digits the target decodes with `UNHEX`.
 */
export type NativeField = 'plain' | 'float' | 'text' | 'hex';

const plainTypes = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'double', 'date', 'datetime', 'timestamp', 'time', 'year']);
const textTypes = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json', 'enum', 'set', 'uuid', 'inet4', 'inet6']);
const hexTypes = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit']);

/** One selected column as the native line carries it. */
export interface NativeColumn {
  name: string;
  field: NativeField;
  nullable: boolean;
  /** The column's character set is not utf8mb4 (its text is converted on the way out). */
  convert: boolean;
}

/**
 * The source columns as native lines carry them, or undefined when one of them has a type the
 * line format does not cover (spatial types and the like): such a table is read as records.
 */
export async function nativeColumns(pool: Pool, schema: string, table: string, columns: string[]): Promise<NativeColumn[] | undefined> {
  const [rows] = await pool.query(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, IS_NULLABLE AS nullable, CHARACTER_SET_NAME AS charset
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [schema, table],
  );
  const byName = new Map((rows as { name: string; type: string; nullable: string; charset: string | null }[]).map((r) => [r.name, r]));
  const result: NativeColumn[] = [];
  for (const name of columns) {
    const info = byName.get(name);
    if (!info) return undefined;
    const type = String(info.type).toLowerCase();
    const field: NativeField | undefined = plainTypes.has(type) ? 'plain' : type === 'float' ? 'float' : textTypes.has(type) ? 'text' : hexTypes.has(type) ? 'hex' : undefined;
    if (!field) return undefined;
    result.push({ name, field, nullable: info.nullable === 'YES', convert: field === 'text' && info.charset !== null && info.charset !== 'utf8mb4' });
  }
  return result;
}

/**
 * The SQL expression of one native line: the columns' text joined by tabs, `NULL` (unquoted) for
 * NULL. Written with no backslash and no double quote, so it means the same under any sql_mode.
 */
export function nativeLineExpression(columns: NativeColumn[]): string {
  const fields = columns.map((c) => {
    const col = quoteIdent(c.name, 'column');
    // QUOTE(NULL) is the word NULL, unquoted: what LOAD DATA reads as NULL with ENCLOSED BY set.
    if (c.field === 'text') return `QUOTE(${c.convert ? `CONVERT(${col} USING utf8mb4)` : col})`;
    const value = c.field === 'hex' ? `HEX(${col})` : c.field === 'float' ? `CAST(${col} AS DOUBLE)` : col;
    return c.nullable ? `IFNULL(${value}, 'NULL')` : value;
  });
  return `CONCAT_WS(CHAR(9), ${fields.join(', ')})`;
}

/**
 * What a native batch tells the writer (`Batch.native.info`): the source columns in line order,
 * which of them travel as hex, and the inclusive key range the batch covers.
 */
export interface NativeRowsInfo {
  [key: string]: string | string[] | number[];
  columns: string[];
  hex: number[];
  /** The source key column (one integer column). */
  key: string;
  /** Smallest and largest key of the batch, as integer text. */
  first: string;
  last: string;
}

/**
 * The `LOAD DATA` statement that reads native lines into the target.
 * @param verb '', ' IGNORE' or ' REPLACE'
 * @param targets quoted target column names, in `info.columns` order
 */
export function nativeLoadStatement(table: string, targets: string[], info: NativeRowsInfo, verb: string): string {
  const hex = new Set(info.hex);
  const names = targets.map((t, i) => (hex.has(i) ? `@v${i}` : t));
  const sets = targets.flatMap((t, i) => (hex.has(i) ? [`${t} = UNHEX(@v${i})`] : []));
  return `LOAD DATA LOCAL INFILE 'goshift-native'${verb} INTO TABLE ${table} CHARACTER SET utf8mb4`
    + ` FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\\'' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'`
    + ` (${names.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`;
}
