import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import stableStringify from 'fast-json-stable-stringify';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Batch, ObjectRecord, PluginContext, Shard, WriterFactory } from '../../src/sdk';
import { WriteError, WriterSessionBase } from '../../src/sdk';
import { columnsOf, encodeCsvHeader, encodeCsvRecord, encodeNdjsonRow, encodingFor, extensionOf, FileEncoding } from '../../src/sdk/formats';
import { describeS3Error, mapLimit, OBJECT_CONCURRENCY, s3Client } from './client';
import { folderPrefix, isFileMode, S3Side, sideOf } from './config';
import { checkBucket } from './split';

const gzip = promisify(zlib.gzip);

/** A part object is uploaded once its buffered bytes reach this size, even between flushes. Default 64 MiB. */
export const PART_BYTES = 64 * 1024 * 1024;
/** Multipart chunk size of a part upload (lib-storage): parts above it go up in several requests. */
export const MULTIPART_BYTES = 8 * 1024 * 1024;
/** User metadata naming the position of the first batch in a part (for an exact resume). */
const FIRST_META = 'goshift-first';

/** A shard's file-mode output in this session: the next part number and the bytes not uploaded yet. */
interface ShardOutput {
  n: number;
  chunks: Buffer[];
  size: number;
  columns?: string[];
  /** Stable JSON of the first buffered batch's position. */
  first?: string;
  /** Stable JSON of the replayed batch's position this output was resumed for (its later chunks keep it). */
  replayOf?: string;
}

/** A shard id safe inside an object key. */
function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Writes S3. Objects (records of kind `object`, and entries in their envelope) are put at
 * `<prefix><key>`, {@link OBJECT_CONCURRENCY} at a time: a rerun overwrites them. Rows (file mode)
 * go to part objects `<prefix>/part-<shard>-<n><ext>`: rows are encoded with the file store's
 * codecs, buffered, and uploaded as the next part at every `flush` (multipart above
 * {@link MULTIPART_BYTES}), so a saved position always has its rows in completed parts. A fresh
 * shard first deletes the shard's old parts (a rerun overwrites, never duplicates); a resumed one
 * keeps the parts before the replayed batch.
 */
export class S3Writer extends WriterSessionBase {
  protected readonly description = 's3 writer session';
  private readonly client: S3Client;
  private readonly outputs = new Map<string, ShardOutput>();
  private readonly enc: FileEncoding;

  constructor(private readonly side: S3Side, private readonly ctx: PluginContext) {
    super();
    this.client = s3Client(side);
    this.enc = encodingFor(ctx, '');
  }

  async write(batch: Batch, shard: Shard): Promise<number> {
    this.assertOpen();
    if (batch.kind === 'object') return this.putObjects(batch.records as unknown as ObjectRecord[]);
    if (batch.kind === 'entry') throw new WriteError(`task ${this.ctx.task.id}: the s3 writer takes entries only through their envelope (objects)`);
    const out = await this.output(batch, shard);
    let text = '';
    if (this.enc.format === 'csv') {
      out.columns ??= batch.columns ?? columnsOf(batch);
      const known = new Set(out.columns);
      for (const r of batch.records) {
        for (const k of Object.keys(r)) if (!known.has(k)) throw new WriteError(`column "${k}" is not in the CSV header (${out.columns.join(', ')}) shard ${shard.id} started with (task ${this.ctx.task.id})`);
        text += encodeCsvRecord(r, out.columns, this.enc.delimiter);
      }
      if (out.size === 0) text = encodeCsvHeader(out.columns, this.enc.delimiter) + text;
    } else {
      for (const r of batch.records) text += encodeNdjsonRow(r);
    }
    const raw = Buffer.from(text, 'utf8');
    const bytes = this.enc.gzip ? await gzip(raw) : raw;
    if (out.size === 0) out.first = stableStringify(batch.position ?? null);
    out.chunks.push(bytes);
    out.size += bytes.length;
    if (out.size >= PART_BYTES) await this.upload(out, shard);
    return batch.records.length;
  }

  override async flush(shard: Shard): Promise<void> {
    this.assertOpen();
    const out = this.outputs.get(shard.id);
    if (out && out.size > 0) await this.upload(out, shard);
  }

  async end(shard: Shard): Promise<void> {
    await this.flush(shard);
    this.outputs.delete(shard.id);
  }

  /** Delete objects by key (a change feed's deletes); a missing object is fine. Object mode only. */
  async delete(batch: Batch): Promise<number> {
    this.assertOpen();
    if (batch.kind !== 'object') throw new WriteError(`task ${this.ctx.task.id}: the s3 writer deletes objects, not rows in part files`);
    const keys = (batch.records as unknown as ObjectRecord[]).map((o) => this.side.prefix + o.key);
    try {
      await this.deleteKeys(keys);
    } catch (err) {
      throw new WriteError(`deleting ${keys.length} objects from ${this.side.bucket}: ${describeS3Error(err, this.side)}`, { cause: err });
    }
    return keys.length;
  }

  private async putObjects(records: ObjectRecord[]): Promise<number> {
    await mapLimit(records, OBJECT_CONCURRENCY, async (o) => {
      const key = this.side.prefix + o.key;
      const { 'content-type': contentType, ...metadata } = o.metadata ?? {};
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.side.bucket, Key: key, Body: o.body, ContentType: contentType, Metadata: metadata }));
      } catch (err) {
        throw new WriteError(`writing object ${key}: ${describeS3Error(err, this.side, key)}`, { cause: err });
      }
    });
    return records.length;
  }

  /** The key prefix of a shard's parts: `<prefix>/part-<shard>-`. */
  private partPrefix(shard: Shard): string {
    return `${folderPrefix(this.side.prefix)}part-${safeId(shard.id)}-`;
  }

  private partKey(shard: Shard, n: number): string {
    return `${this.partPrefix(shard)}${String(n).padStart(5, '0')}${extensionOf(this.enc)}`;
  }

  /** Upload the buffered bytes as the shard's next part (multipart when large), then start a new buffer. */
  private async upload(out: ShardOutput, shard: Shard): Promise<void> {
    const key = this.partKey(shard, out.n);
    const body = Buffer.concat(out.chunks);
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.side.bucket, Key: key, Body: body, Metadata: { [FIRST_META]: out.first ?? 'null' }, ContentType: this.enc.format === 'csv' ? 'text/csv' : 'application/x-ndjson', ContentEncoding: undefined },
        partSize: MULTIPART_BYTES,
        queueSize: 4,
      });
      await upload.done();
    } catch (err) {
      throw new WriteError(`uploading part ${key} of shard ${shard.id}: ${describeS3Error(err, this.side, key)}`, { cause: err });
    }
    out.n++;
    out.chunks = [];
    out.size = 0;
    out.first = undefined;
  }

  /** The shard's output: on its first batch in this session, old parts are deleted (fresh) or cut back (replayed). */
  private async output(batch: Batch, shard: Shard): Promise<ShardOutput> {
    const current = this.outputs.get(shard.id);
    // Every write chunk of a replayed batch is marked; only its first one cuts the parts back.
    const sameReplay = current?.replayOf !== undefined && current.replayOf === stableStringify(batch.position ?? null);
    if (current && (!batch.replayed || sameReplay)) return current;
    const prefix = this.partPrefix(shard);
    try {
      const parts = await this.listKeys(prefix);
      let keep = 0;
      if (batch.replayed && batch.position !== undefined) {
        // Parts before the one that starts with the replayed batch hold saved rows; the rest go.
        const first = stableStringify(batch.position);
        keep = parts.length;
        for (let i = 0; i < parts.length; i++) {
          const head = await this.client.send(new HeadObjectCommand({ Bucket: this.side.bucket, Key: parts[i] }));
          if (head.Metadata?.[FIRST_META] === first) {
            keep = i;
            break;
          }
        }
      }
      await this.deleteKeys(parts.slice(keep));
      const out: ShardOutput = { n: keep, chunks: [], size: 0, replayOf: batch.replayed ? stableStringify(batch.position ?? null) : undefined };
      this.outputs.set(shard.id, out);
      return out;
    } catch (err) {
      if (err instanceof WriteError) throw err;
      throw new WriteError(`preparing the parts ${prefix}* of shard ${shard.id}: ${describeS3Error(err, this.side)}`, { cause: err });
    }
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.side.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.side.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  protected async release(): Promise<void> {
    this.outputs.clear();
    this.client.destroy();
  }
}


/** The target bucket answers with these credentials, else one WriteError line. */
async function checkTargetBucket(side: S3Side): Promise<void> {
  const client = s3Client(side);
  try {
    await checkBucket(client, side).catch((err: Error) => {
      throw new WriteError(err.message, { cause: err });
    });
  } finally {
    client.destroy();
  }
}

/** S3 writer: checks the bucket, then puts objects or uploads part files. */
export const s3Writer: WriterFactory = {
  // Objects can be deleted by key; rows in part files cannot.
  deletes: (params) => !isFileMode(params),
  async validate(ctx) {
    await checkTargetBucket(sideOf(ctx, 'to'));
  },
  async open(ctx) {
    const side = sideOf(ctx, 'to');
    await checkTargetBucket(side);
    return new S3Writer(side, ctx);
  },
};
