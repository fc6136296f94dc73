import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import stableStringify from 'fast-json-stable-stringify';
import type { Batch, PluginContext, ReadOptions, Shard } from '../../src/sdk';
import { ReadError, TaskError } from '../../src/sdk';
import { describeFailure, requestSignal } from './config';
import { deletedRecord, itemRecord, KindedRecord, nameColumns } from './records';
import type { StreamShardSpec } from './stream-shards';
import { Item, keyToJson } from './values';

/** Most records one GetRecords call returns (DynamoDB's limit). */
const GET_RECORDS_LIMIT = 1000;
/** Wait between two polls of an open shard that returned nothing (AWS allows 5 calls/s per shard). */
export const POLL_MS = 500;
/** GetItem calls in flight when a stream without new images makes the reader fetch items. */
const FETCHES_IN_FLIGHT = 8;

/** Whether sequence number `a` comes after `b`: compared as big integers (they vary in length). */
export function sequenceAfter(a: string, b: string | undefined): boolean {
  return b === undefined || BigInt(a) > BigInt(b);
}

/** A GetRecords answer (its records and the next iterator, none once a closed shard is read), or its error. */
type Page = { records: StreamRecord[]; next?: string } | { error: unknown };

/** The latest change of one key within a batch of stream records. */
interface Change {
  keys: Item;
  remove: boolean;
  /** The item after the change (absent for a removal, or when the stream carries no new image). */
  image?: Item;
  oldImage?: Item;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => {
    clearTimeout(t);
    signal.removeEventListener('abort', done);
    resolve();
  };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

const nameOf = (err: unknown): string => (err as { name?: string })?.name ?? '';

/**
 * Follows one shard of a table's DynamoDB stream: from its oldest record (TRIM_HORIZON), or strictly
 * after a saved sequence number, page by page; an open shard is polled until the run stops, a
 * closed one ends at its last record. Each page becomes a batch: the last change of every key
 * (INSERT/MODIFY as a record with the new image, REMOVE as a delete), the page's last sequence
 * number as position and its newest record's time as `changedAt`; a poll that finds nothing new
 * yields an empty batch (see below). Streams without new images
 * (KEYS_ONLY, OLD_IMAGE) fetch the item itself; an item gone since counts as deleted.
 */
export class StreamShardReader {
  constructor(private readonly streams: DynamoDBStreamsClient, private readonly table: DynamoDBClient, private readonly ctx: PluginContext) {}

  async *read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    const spec = shard.spec as StreamShardSpec;
    const signal = requestSignal(opts.signal);
    const from = opts.from === undefined || opts.from === null ? undefined : String(opts.from);
    // The last sequence number handed on: an expired iterator is taken again after it.
    let last = from;
    const limit = Math.min(GET_RECORDS_LIMIT, Math.max(1, opts.batchSize));
    // A GetRecords call in flight; it never rejects, so a page fetched ahead and then dropped
    // (the run stopped) is no unhandled rejection.
    const fetch = (iterator: string | undefined): Promise<Page> | undefined => iterator === undefined ? undefined
      : this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal: signal })
        .then((page) => ({ records: page.Records ?? [], next: page.NextShardIterator }), (error: unknown) => ({ error }));
    let pending = fetch(await this.iterator(spec, last, from, signal));
    while (pending && !opts.signal.aborted) {
      const page = await pending;
      pending = undefined;
      if ('error' in page) {
        const err = page.error;
        if (opts.signal.aborted) return;
        // Iterators live 15 minutes: a new one continues after the last record handed on.
        if (nameOf(err) === 'ExpiredIteratorException') {
          pending = fetch(await this.iterator(spec, last, from, signal));
          continue;
        }
        if (nameOf(err) === 'TrimmedDataAccessException') throw this.trimmed(spec, last ?? '(none)', err);
        throw new ReadError(`reading stream shard ${spec.shard} of table "${spec.table}" after sequence number ${last ?? '(start)'}: ${describeFailure(err, this.ctx, 'from', spec.table)}`, { cause: err });
      }
      const records = page.records.filter((r) => sequenceAfter(r.dynamodb!.SequenceNumber!, last));
      if (records.length > 0) {
        last = records[records.length - 1].dynamodb!.SequenceNumber!;
        // The next page is fetched while this one is written.
        pending = fetch(page.next);
        const batches = await this.batchesOf(records, spec, signal);
        if (opts.signal.aborted) return;
        for (let i = 0; i < batches.length; i++) {
          if (i === batches.length - 1) batches[i].position = last;
          yield batches[i];
        }
      } else if (page.next) {
        // Caught up: an empty batch lets the runtime save the position of what it wrote (it
        // checkpoints between batches, at most every checkpoint_seconds), so an idle feed does not
        // keep its last changes unsaved until the next change.
        yield { kind: 'row', records: [], bytes: 0 };
        await sleep(POLL_MS, opts.signal);
        pending = fetch(page.next);
      }
    }
  }

  /**
   * An iterator after `last` (or at the shard's oldest record). A saved position the stream no
   * longer holds fails with "run a full copy first".
   */
  private async iterator(spec: StreamShardSpec, last: string | undefined, from: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    try {
      const out = await this.streams.send(new GetShardIteratorCommand({
        StreamArn: spec.stream,
        ShardId: spec.shard,
        ...(last === undefined ? { ShardIteratorType: 'TRIM_HORIZON' } : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: last }),
      }), { abortSignal: signal });
      return out.ShardIterator;
    } catch (err) {
      if (signal.aborted) return undefined;
      const name = nameOf(err);
      // DynamoDB: TrimmedDataAccessException; DynamoDB Local: "Invalid SequenceNumber for the shard".
      if (last !== undefined && (name === 'TrimmedDataAccessException' || (name === 'ValidationException' && /sequence ?number/i.test((err as Error).message)))) throw this.trimmed(spec, last, err);
      // A shard past the trim horizon is gone: with no saved position there is nothing left to follow.
      if (name === 'ResourceNotFoundException' && from === undefined && last === undefined) {
        this.ctx.logger.warn(`task ${this.ctx.task.id}: stream shard ${spec.shard} of table "${spec.table}" is no longer in the stream (past its trim horizon): skipped`);
        return undefined;
      }
      if (name === 'ResourceNotFoundException' && last !== undefined) throw this.trimmed(spec, last, err);
      throw new ReadError(`opening stream shard ${spec.shard} of table "${spec.table}": ${describeFailure(err, this.ctx, 'from', spec.table)}`, { cause: err });
    }
  }

  private trimmed(spec: StreamShardSpec, sequence: string, cause: unknown): TaskError {
    return new TaskError(`task ${this.ctx.task.id}: stream shard ${spec.shard} of table "${spec.table}" no longer holds the saved position (sequence number ${sequence}): it is older than the stream's trim horizon (DynamoDB keeps stream records 24 hours), so changes since were lost to the stream; run a full copy first (-mode stream --restart scans the table again, then follows the stream)`, { cause });
  }

  /** A page of stream records as batches: the last change per key, records and deletes by kind. */
  private async batchesOf(records: StreamRecord[], spec: StreamShardSpec, signal: AbortSignal): Promise<Batch[]> {
    const changes = new Map<string, Change>();
    let bytes = 0;
    let changedAt = 0;
    for (const r of records) {
      const d = r.dynamodb!;
      const keys = d.Keys as Item;
      bytes += d.SizeBytes ?? 0;
      changedAt = Math.max(changedAt, d.ApproximateCreationDateTime?.getTime() ?? 0);
      const id = stableStringify(keyToJson(keys));
      // A key's later change replaces its earlier one; a map keeps the first insertion's place,
      // which is harmless: a key is in the batch once.
      changes.set(id, { keys, remove: r.eventName === 'REMOVE', image: d.NewImage as Item | undefined, oldImage: d.OldImage as Item | undefined });
    }
    await this.fetchImages([...changes.values()], spec, signal);
    const byKind = new Map<'row' | 'entry', Batch>();
    const batchOf = (kind: 'row' | 'entry'): Batch => {
      let b = byKind.get(kind);
      if (!b) byKind.set(kind, (b = { kind, records: [], deletes: [], bytes: 0, ...(changedAt ? { changedAt } : {}) }));
      return b;
    };
    for (const c of changes.values()) {
      const out: KindedRecord = c.remove || !c.image ? deletedRecord(c.keys, c.oldImage, this.ctx, spec.table) : itemRecord(c.image, this.ctx, spec.table);
      const b = batchOf(out.kind);
      (c.remove || !c.image ? b.deletes! : b.records).push(out.record);
    }
    const batches = [...byKind.values()];
    for (const b of batches) {
      nameColumns(b, this.ctx);
      if (b.deletes!.length === 0) delete b.deletes;
      b.bytes = Math.round((bytes * ((b.records.length + (b.deletes?.length ?? 0)))) / changes.size);
    }
    return batches;
  }

  /**
   * Changes whose record carries no new image (KEYS_ONLY, OLD_IMAGE streams): read the item as it
   * is now (a strongly consistent GetItem). It is at least as new as the change, and later changes
   * of the key come after it in the shard; an item gone since is a removal.
   */
  private async fetchImages(changes: Change[], spec: StreamShardSpec, signal: AbortSignal): Promise<void> {
    const missing = changes.filter((c) => !c.remove && !c.image);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < missing.length) {
        const c = missing[next++];
        try {
          const out = await this.table.send(new GetItemCommand({ TableName: spec.table, Key: c.keys, ConsistentRead: true }), { abortSignal: signal });
          if (out.Item) c.image = out.Item as Item;
          else c.remove = true;
        } catch (err) {
          throw new ReadError(`reading an item of table "${spec.table}" for its stream record (the stream carries no new images): ${describeFailure(err, this.ctx, 'from', spec.table)}`, { cause: err });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCHES_IN_FLIGHT, missing.length) }, lane));
  }
}
