import path from 'node:path';
import type { Batch, PluginContext, ReaderFactory, ReadOptions, Shard } from '../../src/sdk';
import { rdbBatches, ReadError, ReaderSessionBase } from '../../src/sdk';
import { ContentPosition, CsvParser, csvRow, encodingFor, FileEncoding, isRdbFormat, ndjsonRows, RowAt, rowBatches } from '../../src/sdk/formats';
import { entryPath } from './config';
import { baseDir, checkRelative } from './paths';
import { contentFrom } from './source';
import { FileShardSpec, planFiles } from './split';

/**
 * Position of a file shard: the byte offset in the file's content (decompressed for gzip) just
 * after the batch's last record, and the rows read up to there. Reading `{ from }` continues at
 * that offset (a gzipped file is decompressed from its start and that many bytes skipped).
 */
export type FilePosition = ContentPosition;

/** Streams one file per shard, `batchSize` rows at a time; never holds more than a batch. */
export class FileReader extends ReaderSessionBase {
  protected readonly description = 'file reader session';

  constructor(private readonly base: string, private readonly ctx: PluginContext) {
    super();
  }

  async *read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    this.assertOpen();
    const spec = shard.spec as FileShardSpec;
    const file = path.join(this.base, spec.path);
    if (isRdbFormat(this.ctx.params)) {
      const gzip = this.ctx.params.gzip === true || (this.ctx.params.gzip !== false && spec.path.toLowerCase().endsWith('.gz'));
      yield* rdbBatches(contentFrom(file, gzip, 0), { ...opts, db: this.ctx.params.rdb_db as number | null, logger: this.ctx.logger, where: spec.path });
      return;
    }
    const enc = encodingFor(this.ctx, spec.path);
    const from = opts.from as FilePosition | undefined;
    const start = from?.offset ?? 0;
    const rows = enc.format === 'csv' ? this.csvRecords(file, enc, start) : ndjsonRows(contentFrom(file, enc.gzip, start), start);
    yield* rowBatches(rows, from, opts, (err, n) => new ReadError(`reading ${spec.path} (${entryPath(this.ctx, 'from')}, task ${this.ctx.task.id}) failed after row ${n}: ${err.message}`, { cause: err }));
  }

  private async *csvRecords(file: string, enc: FileEncoding, start: number): AsyncGenerator<RowAt> {
    const { columns, end: headerEnd } = await csvHeader(file, enc);
    if (columns.length === 0) return;
    const from = Math.max(start, headerEnd);
    const parser = new CsvParser(enc.delimiter, from);
    for await (const chunk of contentFrom(file, enc.gzip, from)) {
      for (const rec of parser.push(chunk)) yield { record: csvRow(rec, columns), end: rec.end };
    }
    for (const rec of parser.end()) yield { record: csvRow(rec, columns), end: rec.end };
  }

  protected async release(): Promise<void> {
    // Nothing is held between reads: every read opens and closes its own file.
  }
}

/** The column names of a CSV file (its first record) and the offset after them; none for an empty file. */
export async function csvHeader(file: string, enc: FileEncoding): Promise<{ columns: string[]; end: number }> {
  const parser = new CsvParser(enc.delimiter, 0);
  const content = contentFrom(file, enc.gzip, 0);
  try {
    for await (const chunk of content) {
      for (const rec of parser.push(chunk)) return { columns: rec.fields.map((f) => f.bytes.toString('utf8')), end: rec.end };
    }
    for (const rec of parser.end()) return { columns: rec.fields.map((f) => f.bytes.toString('utf8')), end: rec.end };
  } finally {
    await content.return(undefined);
  }
  return { columns: [], end: 0 };
}

/** File reader: one shard per matching file, streamed in batches with byte-offset positions. */
export const fileReader: ReaderFactory = {
  async validate(ctx) {
    checkRelative(ctx, 'from_table', ctx.task.from_table);
    await baseDir(ctx, 'from');
  },
  plan: planFiles,
  async open(ctx) {
    return new FileReader(await baseDir(ctx, 'from'), ctx);
  },
};
