import type { PluginContext } from '../../src/sdk';
import { fileParamsSchema } from '../../src/sdk/formats';

/**
 * convict schema of an S3 connection entry (`from.s3.<app>_<db>` / `to.s3.<app>_<db>`). Works
 * against AWS (region, and keys here or the SDK's default credential chain) and against local S3
 * APIs such as s3rver (endpoint, path-style addressing).
 *
 * @example { "endpoint": "http://127.0.0.1:4569", "region": "us-east-1", "bucket": "archive", "forcePathStyle": true, "accessKeyId": "S3RVER", "secretAccessKey": "S3RVER" }
 */
export const s3ConnectionSchema = {
  region: { doc: 'AWS region. Default is "us-east-1".', format: String, default: 'us-east-1' },
  endpoint: { doc: 'Endpoint URL of an S3 API other than AWS (e.g. "http://127.0.0.1:4569"). Default: AWS.', format: String, default: '' },
  bucket: { doc: 'The bucket. Default: the task\'s from_db / to_db is the bucket name.', format: String, default: '' },
  forcePathStyle: { doc: 'Path-style addressing (`<endpoint>/<bucket>/<key>`), needed by most local S3 servers. Default is false.', format: Boolean, default: false },
  accessKeyId: { doc: 'Access key id. Default: the SDK\'s default credential chain (environment, profile, instance role).', format: String, default: '', sensitive: true },
  secretAccessKey: { doc: 'Secret access key (with accessKeyId).', format: String, default: '', sensitive: true },
  sessionToken: { doc: 'Session token of temporary credentials. Default: none.', format: String, default: '', sensitive: true },
};

/** Validated S3 connection entry. */
export interface S3Connection {
  region: string;
  endpoint: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/**
 * params keys of the S3 plugin: the file plugin's `format`, `gzip` and `csv_delimiter` (same
 * codecs). `format` "ndjson" or "csv" puts an S3 source in file mode (rows); left at "auto" an
 * S3 source is read in object mode.
 */
export const s3ParamsSchema = { ...fileParamsSchema };

/** One side of a task as the S3 plugin sees it. */
export interface S3Side {
  conn: S3Connection;
  bucket: string;
  /** The key prefix (`*_table`). */
  prefix: string;
  /** Config entry path, for messages: `from.s3.local_archive`. */
  entry: string;
}

/** The bucket, prefix and entry path of the task's source or target. */
export function sideOf(ctx: PluginContext, side: 'from' | 'to'): S3Side {
  const conn = ctx.connection as unknown as S3Connection;
  const db = side === 'from' ? ctx.task.from_db : ctx.task.to_db;
  const app = side === 'from' ? ctx.task.from_app : ctx.task.to_app;
  const table = (side === 'from' ? ctx.task.from_table : ctx.task.to_table) ?? '';
  return { conn, bucket: conn.bucket || db, prefix: table.trim(), entry: `${side}.s3.${app}_${db}` };
}

/** Whether a source is read in file mode (rows from NDJSON/CSV objects) rather than object mode. */
export function isFileMode(params: object): boolean {
  const format = (params as { format?: unknown }).format;
  return format === 'ndjson' || format === 'csv' || format === 'rdb';
}

/** The folder prefix of file mode: `*_table` with exactly one trailing `/` (empty stays empty). */
export function folderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed ? `${trimmed}/` : '';
}
