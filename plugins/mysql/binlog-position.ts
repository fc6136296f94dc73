/** Where a binlog feed stands: file + offset (and the server's GTID position), read and compared. */
import type { Pool } from 'mysql2/promise';

/**
 * A point in the source's binlog at a transaction boundary: reading from it replays every
 * transaction committed after it. `gtid` is the server's GTID position there when it has one
 * (MariaDB `@@gtid_binlog_pos`, MySQL `@@gtid_executed`); informational, file + pos is what resumes.
 * @example { file: 'binlog.000003', pos: 1234, gtid: '0-1-42' }
 */
export interface BinlogPosition {
  [key: string]: string | number;
  file: string;
  pos: number;
  gtid: string;
}

/** The server's current binlog end (`SHOW MASTER STATUS`), or undefined when it writes no binlog. */
export async function currentPosition(pool: Pool): Promise<BinlogPosition | undefined> {
  const [rows] = await pool.query('SHOW MASTER STATUS');
  const row = (rows as Record<string, unknown>[])[0];
  if (!row) return undefined;
  const [g] = await pool.query({ sql: 'SELECT @@version LIKE \'%MariaDB%\' AS maria', rowsAsArray: true });
  const maria = Number((g as unknown[][])[0][0]) === 1;
  const [gt] = await pool.query({ sql: maria ? 'SELECT @@gtid_binlog_pos' : 'SELECT @@gtid_executed', rowsAsArray: true });
  return { file: String(row.File), pos: Number(row.Position), gtid: String((gt as unknown[][])[0][0] ?? '') };
}

/** The binlog files the server still holds, oldest first, with their sizes in bytes. */
export async function binlogFiles(pool: Pool): Promise<{ name: string; size: number }[]> {
  const [rows] = await pool.query('SHOW BINARY LOGS');
  return (rows as Record<string, unknown>[]).map((r) => ({ name: String(r.Log_name), size: Number(r.File_size) }));
}

/** Bytes of binlog between `at` and the end of the server's last file (0 when `at` is past it). */
export function bytesBehind(files: { name: string; size: number }[], at: { file: string; pos: number }): number {
  let behind = 0;
  let seen = false;
  for (const f of files) {
    if (f.name === at.file) {
      seen = true;
      behind += Math.max(0, f.size - at.pos);
    } else if (seen) behind += f.size;
  }
  return behind;
}

/** Whether a value read back from saved state is a {@link BinlogPosition}. */
export function isBinlogPosition(v: unknown): v is BinlogPosition {
  const p = v as BinlogPosition | null;
  return typeof p === 'object' && p !== null && typeof p.file === 'string' && typeof p.pos === 'number';
}

/** How messages show a position: `binlog.000003:1234 (gtid 0-1-42)`. */
export function describePosition(p: BinlogPosition): string {
  return `${p.file}:${p.pos}${p.gtid ? ` (gtid ${p.gtid})` : ''}`;
}
