/** Record formats of file-like content (NDJSON, CSV, gzip): their params keys and how one file's encoding is chosen. */
import type { PluginContext } from '../context';
import { TaskError } from '../errors';

/**
 * File formats. `auto` picks by extension (`.csv` -> csv, anything else -> ndjson). `rdb` (Redis RDB files, read only) yields entries: see docs/rdb.md.
 */
export const fileFormats = ['auto', 'ndjson', 'csv', 'rdb'] as const;

/** One of {@link fileFormats}. */
export type FileFormat = (typeof fileFormats)[number];

/** params keys only the file plugin reads. */
export const fileParamsSchema = {
  format: {
    doc: 'File format: "ndjson", "csv", "rdb" (Redis RDB files, read only, never chosen by "auto"), or "auto" (by extension: .csv / .csv.gz are csv, anything else ndjson). Default is "auto".',
    format: (v: unknown) => {
      if (typeof v !== 'string' || !(fileFormats as readonly string[]).includes(v)) throw new Error(`params.format must be one of ${fileFormats.map((f) => `"${f}"`).join(', ')}, got ${JSON.stringify(v)}`);
    },
    default: 'auto',
  },
  gzip: {
    doc: 'gzip compression: true, false, or "auto" (by a .gz extension). Default is "auto".',
    format: (v: unknown) => {
      if (v !== true && v !== false && v !== 'auto') throw new Error(`params.gzip must be true, false or "auto", got ${JSON.stringify(v)}`);
    },
    default: 'auto' as boolean | 'auto',
  },
  rdb_db: {
    doc: 'rdb: read only the keys of this Redis db of the file (0-based); null reads every db into the target db. Default is null.',
    format: (v: unknown) => {
      if (v !== null && (!Number.isInteger(v) || (v as number) < 0)) throw new Error(`params.rdb_db must be a db number (0 or more) or null, got ${JSON.stringify(v)}`);
    },
    default: null as number | null,
  },
  csv_delimiter: {
    doc: 'csv: field delimiter, one ASCII character other than a quote, backslash, CR or LF. Default is ",".',
    format: (v: unknown) => {
      if (typeof v !== 'string' || v.length !== 1 || v.charCodeAt(0) > 127 || '"\\\r\n'.includes(v)) throw new Error(`params.csv_delimiter must be one ASCII character other than a quote, backslash, CR or LF, got ${JSON.stringify(v)}`);
    },
    default: ',',
  },
};

/** How one file is encoded. */
export interface FileEncoding {
  format: 'ndjson' | 'csv';
  gzip: boolean;
  /** csv: field delimiter (one ASCII character). */
  delimiter: string;
}

/**
 * The encoding of a file named `name` under the task's params: explicit `format` / `gzip` win,
 * else the extension decides (`x.csv.gz` is gzipped csv, `x.ndjson` / `x.jsonl` / anything else ndjson).
 */
export function encodingFor(ctx: PluginContext, name: string): FileEncoding {
  if (ctx.params.format === 'rdb') throw new TaskError('params.format "rdb" reads Redis RDB files and cannot be written: a file or s3 target writes "ndjson" or "csv"');
  const lower = name.toLowerCase();
  const gz = lower.endsWith('.gz');
  const stem = gz ? lower.slice(0, -3) : lower;
  const format = ctx.params.format === 'ndjson' || ctx.params.format === 'csv' ? ctx.params.format : stem.endsWith('.csv') ? 'csv' : 'ndjson';
  const gzip = ctx.params.gzip === true || ctx.params.gzip === false ? ctx.params.gzip : gz;
  return { format, gzip, delimiter: String(ctx.params.csv_delimiter ?? ',') };
}

/**
 * Whether source files are read as Redis RDB files (`params.format: "rdb"`, always explicit: the
 * record kind, entries instead of rows, is decided from the params before any file is seen).
 */
export function isRdbFormat(params: object): boolean {
  return (params as { format?: unknown }).format === 'rdb';
}

/** The extension of an encoding: `.ndjson`, `.csv.gz`, ... */
export function extensionOf(enc: FileEncoding): string {
  return `.${enc.format}${enc.gzip ? '.gz' : ''}`;
}
