import type { Pool } from 'mysql2/promise';

/** Column names of a table in ordinal order; empty when the table does not exist. */
export async function tableColumns(pool: Pool, schema: string, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [schema, table],
  );
  return (rows as { name: string }[]).map((r) => r.name);
}

/** Names of a table's FLOAT columns (read as DOUBLE: a FLOAT's own text keeps 6 digits and loses bits). */
export async function floatColumns(pool: Pool, schema: string, table: string): Promise<Set<string>> {
  const [rows] = await pool.query(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE = 'float'",
    [schema, table],
  );
  return new Set((rows as { name: string }[]).map((r) => r.name));
}

/**
 * The key to split and page by: the primary key, else the first unique index whose columns are
 * all NOT NULL; empty when the table has none.
 */
export async function detectKey(pool: Pool, schema: string, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    `SELECT s.INDEX_NAME AS idx, s.COLUMN_NAME AS col, c.IS_NULLABLE AS nullable
       FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c
         ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0 AND s.SUB_PART IS NULL
      ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`,
    [schema, table],
  );
  const byIndex = new Map<string, { cols: string[]; nullable: boolean }>();
  for (const r of rows as { idx: string; col: string; nullable: string }[]) {
    const entry = byIndex.get(r.idx) ?? { cols: [], nullable: false };
    entry.cols.push(r.col);
    entry.nullable ||= r.nullable === 'YES';
    byIndex.set(r.idx, entry);
  }
  for (const entry of byIndex.values()) if (!entry.nullable) return entry.cols;
  return [];
}

/** Row estimate from table statistics (cheap; InnoDB's figure may be off by tens of percent). */
export async function estimateRows(pool: Pool, schema: string, table: string): Promise<number> {
  const [rows] = await pool.query('SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, table]);
  return Number((rows as { n: string | number | null }[])[0]?.n ?? 0);
}

/** Whether a column holds integers (tinyint ... bigint, signed or not). */
export async function isIntegerColumn(pool: Pool, schema: string, table: string, column: string): Promise<boolean> {
  const [rows] = await pool.query(
    'SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    [schema, table, column],
  );
  return ['tinyint', 'smallint', 'mediumint', 'int', 'bigint'].includes(String((rows as { t: string }[])[0]?.t).toLowerCase());
}

/** Whether a table's engine has transactions (InnoDB: yes; MyISAM, MEMORY: no). */
export async function isTransactional(pool: Pool, schema: string, table: string): Promise<boolean> {
  const [rows] = await pool.query(
    `SELECT e.TRANSACTIONS AS tx FROM information_schema.TABLES t JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
      WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?`,
    [schema, table],
  );
  return String((rows as { tx: string }[])[0]?.tx ?? 'YES').toUpperCase() === 'YES';
}
