import { positiveInt, positiveWhenGiven } from '../../src/sdk';
/** convict schema of a MySQL/MariaDB connection entry (`from.mysql.<app>_<db>`). */
export const mysqlConnectionSchema = {
  host: { doc: 'Server host.', format: String, default: '127.0.0.1' },
  port: { doc: 'Server port.', format: 'port', default: 3306 },
  socketPath: { doc: 'Unix socket instead of host/port.', format: String, default: '' },
  user: { doc: 'User name.', format: String, default: 'root' },
  password: { doc: 'Password.', format: String, default: '', sensitive: true },
  db: { doc: 'Default schema of the connection (the task row names the schema it uses).', format: String, default: '' },
  connectTimeout: { doc: 'Connect timeout in milliseconds.', format: 'nat', default: 10000 },
};

/** Validated MySQL connection entry. */
export interface MysqlConnection {
  host: string;
  port: number;
  socketPath: string;
  user: string;
  password: string;
  db: string;
  connectTimeout: number;
}

/** Writer modes: what happens to a row whose key already exists in the target. */
export const mysqlWriteModes = ['upsert', 'insert', 'ignore', 'replace'] as const;

/** One of {@link mysqlWriteModes}. Default is `upsert`. */
export type MysqlWriteMode = (typeof mysqlWriteModes)[number];

/** params keys only the MySQL plugin reads. */
export const mysqlParamsSchema = {
  shard_rows: { doc: 'Rows per primary-key shard, a positive integer. Default (key left out): read_batch.', format: 'nat', given: positiveWhenGiven('shard_rows', 'leave the key out for read_batch'), default: 0 },
  load_data: {
    doc: 'Write insert/ignore/replace modes, and the rows an upsert finds missing from the target, with LOAD DATA LOCAL INFILE (falls back to INSERT when the server refuses it). Default is true.',
    format: Boolean,
    default: true,
  },
  native_copy: {
    doc: 'Between two mysql servers, let the source server format each batch as LOAD DATA text that the writer loads as it is, for tables keyed by one integer column (batches whose key range the target already holds in an upsert are read again as rows). Default is true.',
    format: Boolean,
    default: true,
  },
  max_statement_bytes: { doc: 'Largest multi-row INSERT the writer sends, in bytes, a positive integer. Default is 4 MiB.', format: positiveInt('max_statement_bytes'), default: 4 * 1024 * 1024 },
};
