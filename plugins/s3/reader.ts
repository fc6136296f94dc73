import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Batch, JsonValue, ObjectRecord, PluginContext, ReaderFactory, ReadOptions, Shard, SyncRecord } from '../../src/sdk';
import { rdbBatches, ReadError, ReaderSessionBase } from '../../src/sdk';
import { ContentPosition, CsvParser, csvRow, encodingFor, FileEncoding, gunzipFrom, isRdbFormat, ndjsonRows, RowAt, rowBatches } from '../../src/sdk/formats';
import { describeS3Error, mapLimit, OBJECT_CONCURRENCY, s3Client } from './client';
import { S3Side, sideOf } from './config';
import { FileObjectShardSpec, LIST_PAGE, ObjectShardSpec, planS3 } from './split';

/** Position of an object-mode shard: the last key read (the next listing starts after it). */
export interface ObjectPosition {
  [key: string]: JsonValue;
  after: string;
}

/** Position of a file-mode shard: byte offset in the object's (decompressed) content after the batch, and rows read. */
export type FileObjectPosition = ContentPosition;

/**
 * Reads S3: object mode lists the shard's key range page by page (`StartAfter` the last key) and
 * fetches the bodies, {@link OBJECT_CONCURRENCY} at a time; file mode streams one NDJSON/CSV object.
 */
export class S3Reader extends ReaderSessionBase {
  protected readonly description = 's3 reader session';
  private readonly client: S3Client;

  constructor(private readonly side: S3Side, private readonly ctx: PluginContext) {
    super();
    this.client = s3Client(side);
  }

  read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    this.assertOpen();
    const spec = shard.spec as ObjectShardSpec | FileObjectShardSpec;
    return spec.mode === 'file' ? this.readFile(spec, opts) : this.readObjects(spec, opts);
  }

  private async *readObjects(spec: ObjectShardSpec, opts: ReadOptions): AsyncGenerator<Batch> {
    let after = (opts.from as ObjectPosition | undefined)?.after ?? spec.after;
    for (;;) {
      let keys: string[];
      let truncated: boolean;
      try {
        const res = await this.client.send(new ListObjectsV2Command({
          Bucket: this.side.bucket, Prefix: spec.prefix || undefined, StartAfter: after ?? undefined, MaxKeys: Math.min(LIST_PAGE, opts.batchSize),
        }), { abortSignal: opts.signal });
        keys = (res.Contents ?? []).map((o) => o.Key!).filter((k) => k !== undefined);
        truncated = Boolean(res.IsTruncated);
      } catch (err) {
        throw new ReadError(`listing ${spec.prefix}* after ${after}: ${describeS3Error(err, this.side)}`, { cause: err });
      }
      let end = false;
      if (spec.until !== null) {
        const inRange = keys.filter((k) => k <= spec.until!);
        end = inRange.length < keys.length || keys[keys.length - 1] === spec.until;
        keys = inRange;
      }
      if (keys.length) {
        let bytes = 0;
        const records = await mapLimit(keys, OBJECT_CONCURRENCY, async (key) => {
          const object = await this.getObject(key, spec.prefix);
          bytes += object.body.length;
          return object as unknown as SyncRecord;
        });
        after = keys[keys.length - 1];
        yield { kind: 'object', records, bytes, position: { after } satisfies ObjectPosition };
      }
      if (end || !truncated || keys.length === 0 || opts.signal.aborted) return;
    }
  }

  /** One object; not abortable on its own (a batch's gets are short, and a shared signal would collect a listener per request). */
  private async getObject(key: string, prefix: string): Promise<ObjectRecord> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.side.bucket, Key: key }));
      const body = Buffer.from(await res.Body!.transformToByteArray());
      const metadata: Record<string, string> = { ...(res.Metadata ?? {}) };
      if (res.ContentType) metadata['content-type'] = res.ContentType;
      return { key: key.slice(prefix.length), body, metadata };
    } catch (err) {
      throw new ReadError(`reading object ${key}: ${describeS3Error(err, this.side, key)}`, { cause: err });
    }
  }

  private async *readFile(spec: FileObjectShardSpec, opts: ReadOptions): AsyncGenerator<Batch> {
    if (isRdbFormat(this.ctx.params)) {
      const gzip = this.ctx.params.gzip === true || (this.ctx.params.gzip !== false && spec.key.toLowerCase().endsWith('.gz'));
      const where = `s3://${this.side.bucket}/${spec.key}`;
      yield* rdbBatches(this.content(spec.key, gzip, 0), { ...opts, db: this.ctx.params.rdb_db as number | null, logger: this.ctx.logger, where });
      return;
    }
    const enc = encodingFor(this.ctx, spec.key);
    const from = opts.from as FileObjectPosition | undefined;
    const start = from?.offset ?? 0;
    const rows = enc.format === 'csv' ? this.csvRecords(spec.key, enc, start) : ndjsonRows(this.content(spec.key, enc.gzip, start), start);
    yield* rowBatches(rows, from, opts, (err, n) => new ReadError(`reading s3://${this.side.bucket}/${spec.key} (${this.side.entry}, task ${this.ctx.task.id}) failed after row ${n}: ${err.message}`, { cause: err }));
  }

  /**
   * The object's content from byte `start` on: a plain object is fetched with a Range; a gzipped
   * one is decompressed from its start (concatenated members included) and `start` bytes dropped.
   */
  private async *content(key: string, gzip: boolean, start: number): AsyncGenerator<Buffer> {
    let body: Readable;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.side.bucket, Key: key, Range: !gzip && start > 0 ? `bytes=${start}-` : undefined }));
      body = res.Body as Readable;
    } catch (err) {
      // A Range starting at the very end of the object (a resume after its last row) has nothing left.
      if ((err as { name?: string }).name === 'InvalidRange') return;
      throw new ReadError(`reading object ${key}: ${describeS3Error(err, this.side, key)}`, { cause: err });
    }
    if (!gzip) {
      try {
        yield* body as AsyncIterable<Buffer>;
      } finally {
        body.destroy();
      }
      return;
    }
    yield* gunzipFrom(body, start);
  }

  private async *csvRecords(key: string, enc: FileEncoding, start: number): AsyncGenerator<RowAt> {
    // The header is the first record; parse from the start and skip what a resume already read.
    const parser = new CsvParser(enc.delimiter, 0);
    let columns: string[] | undefined;
    const emit = function* (recs: Iterable<{ fields: { bytes: Buffer }[]; end: number }>): Generator<RowAt> {
      for (const rec of recs) {
        if (!columns) {
          columns = rec.fields.map((f) => f.bytes.toString('utf8'));
          continue;
        }
        if (rec.end <= start) continue;
        yield { record: csvRow(rec as Parameters<typeof csvRow>[0], columns), end: rec.end };
      }
    };
    for await (const chunk of this.content(key, enc.gzip, 0)) yield* emit(parser.push(chunk));
    yield* emit(parser.end());
  }

  protected async release(): Promise<void> {
    this.client.destroy();
  }
}

/** S3 reader: listing-page shards (object mode) or one shard per object (file mode). */
export const s3Reader: ReaderFactory = {
  plan: planS3,
  async open(ctx) {
    return new S3Reader(sideOf(ctx, 'from'), ctx);
  },
};
