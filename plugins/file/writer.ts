import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Batch, PluginContext, Shard, WriterFactory } from '../../src/sdk';
import { WriteError, WriterSessionBase } from '../../src/sdk';
import { columnsOf, encodeCsvHeader, encodeCsvRecord, encodeNdjsonRow } from '../../src/sdk/formats';
import { checkWriteMode, entryPath } from './config';
import { finishTarget } from './merge';
import { keepAll, PartFile } from './part';
import { checkRelative } from './paths';
import { csvHeader } from './reader';
import { partPaths, targetLayout, TargetLayout } from './target';

const gzip = promisify(zlib.gzip);

/** What the writer holds for one shard in flight. */
interface ShardOutput {
  part: PartFile;
  /** csv: the header's columns, fixed by the shard's first batch. */
  columns?: string[];
  /** The position object of the replayed batch this output was resumed for (its later chunks share it). */
  replayOf?: unknown;
}

/**
 * Writes each shard's rows to its own temp part, fsyncs it (and its journal) on `flush`, and moves it
 * into place with a rename on `end`. A resumed shard cuts its temp part back to the bytes holding
 * exactly the rows before the reader's resume point (see {@link PartFile.resume}), so a rerun after a
 * crash ends with every source row once.
 */
export class FileWriter extends WriterSessionBase {
  protected readonly description = 'file writer session';
  private readonly outputs = new Map<string, ShardOutput>();

  constructor(private readonly layout: TargetLayout, private readonly ctx: PluginContext) {
    super();
  }

  async write(batch: Batch, shard: Shard): Promise<number> {
    this.assertOpen();
    const out = await this.output(batch, shard);
    const { enc } = this.layout;
    try {
      let text = '';
      if (enc.format === 'csv') {
        out.columns ??= batch.columns ?? columnsOf(batch);
        if (out.part.size === 0) await out.part.append(await this.encode(encodeCsvHeader(out.columns, enc.delimiter)), batch.position);
        const known = new Set(out.columns);
        for (const r of batch.records) {
          for (const k of Object.keys(r)) if (!known.has(k)) throw new Error(`column "${k}" is not in the CSV header (${out.columns.join(', ')}) the shard started with`);
          text += encodeCsvRecord(r, out.columns, enc.delimiter);
        }
      } else {
        for (const r of batch.records) text += encodeNdjsonRow(r);
      }
      if (text) await out.part.append(await this.encode(text), batch.position);
    } catch (err) {
      throw this.error(err, shard, `writing ${batch.records.length} rows`);
    }
    return batch.records.length;
  }

  override async flush(shard: Shard): Promise<void> {
    this.assertOpen();
    try {
      await this.outputs.get(shard.id)?.part.flush();
    } catch (err) {
      throw this.error(err, shard, 'syncing');
    }
  }

  async end(shard: Shard): Promise<void> {
    this.assertOpen();
    const paths = partPaths(this.layout, shard.id);
    try {
      // No write in this session: a resumed shard with nothing left to read keeps its part.
      const out = this.outputs.get(shard.id) ?? { part: await PartFile.resume(paths, keepAll) };
      this.outputs.delete(shard.id);
      if (out.part.size === 0 && this.layout.enc.gzip) await out.part.append(await gzip(Buffer.alloc(0)), undefined);
      await out.part.finish();
    } catch (err) {
      throw this.error(err, shard, `moving ${paths.tmp} into place`);
    }
  }

  /** The shard's output: created on its first batch, taken back from disk on a replayed one. */
  private async output(batch: Batch, shard: Shard): Promise<ShardOutput> {
    const current = this.outputs.get(shard.id);
    // Every chunk of the replayed batch is marked; only its first one resumes.
    const sameReplay = current?.replayOf !== undefined && current.replayOf === batch.position;
    if (current && (!batch.replayed || sameReplay)) return current;
    await current?.part.abandon();
    const paths = partPaths(this.layout, shard.id);
    try {
      const part = batch.replayed ? await PartFile.resume(paths, batch.position) : await PartFile.create(paths);
      const out: ShardOutput = { part, replayOf: batch.replayed ? batch.position : undefined };
      if (part.size > 0 && this.layout.enc.format === 'csv') out.columns = (await csvHeader(paths.tmp, this.layout.enc)).columns;
      this.outputs.set(shard.id, out);
      return out;
    } catch (err) {
      throw this.error(err, shard, `opening ${paths.tmp}`);
    }
  }

  private async encode(text: string): Promise<Buffer> {
    const bytes = Buffer.from(text, 'utf8');
    return this.layout.enc.gzip ? gzip(bytes) : bytes;
  }

  private error(err: unknown, shard: Shard, what: string): WriteError {
    if (err instanceof WriteError) return err;
    return new WriteError(`${what} of shard ${shard.id} to ${this.ctx.task.to_table} (${entryPath(this.ctx, 'to')}, task ${this.ctx.task.id}) failed: ${(err as Error).message}`, { cause: err });
  }

  protected async release(): Promise<void> {
    for (const out of this.outputs.values()) await out.part.abandon();
    this.outputs.clear();
  }
}

/** File writer: checks the target path, writes part files, and joins or tidies them after the last shard. */
export const fileWriter: WriterFactory = {
  async validate(ctx) {
    checkWriteMode(ctx);
    checkRelative(ctx, 'to_table', ctx.task.to_table);
    await targetLayout(ctx);
  },
  async open(ctx) {
    return new FileWriter(await targetLayout(ctx), ctx);
  },
  async after(ctx) {
    await finishTarget(await targetLayout(ctx));
  },
};
