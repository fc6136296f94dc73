import { DynamoDBClient, ScanCommand, ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Batch, PluginContext, ReaderFactory, ReadOptions, Shard } from '../../src/sdk';
import { ReadError, ReaderSessionBase, TaskError } from '../../src/sdk';
import { createClient, describeFailure, requestSignal } from './config';
import { itemRecord, nameColumns } from './records';
import { StreamShardReader } from './stream-reader';
import { checkStreamSlots, createStreamsClient, isClosed, listStreamShards, StreamShardSpec, streamShards, tableStream } from './stream-shards';
import { describeTable } from './table';
import { Item, itemSize, keyFromJson, keyToJson } from './values';

/**
 * Spec of a scan shard: one `Segment` of `TotalSegments`. Under `-mode stream` it also names the
 * stream the scan is followed by, so a new stream (disabled and enabled again) scans again.
 */
export interface DynamodbShardSpec {
  [key: string]: unknown;
  table: string;
  segment: number;
  total: number;
  stream?: string;
}

/**
 * Streams one parallel-scan segment per shard, one page (`Limit` = batch size) per batch; the
 * batch's position is the page's `LastEvaluatedKey`. Items holding an entry envelope come out as
 * entries, other items as rows; between two DynamoDB stores (`ctx.peerNative`) items travel as
 * they are, sets, maps and binary untouched.
 */
export class DynamodbReader extends ReaderSessionBase {
  protected readonly description = 'dynamodb reader session';

  /** FilterExpression and its placeholders, from params (empty without a filter). */
  private readonly filter: Partial<ScanCommandInput>;

  constructor(private readonly client: DynamoDBClient, private readonly ctx: PluginContext) {
    super();
    this.filter = scanFilter(ctx);
  }

  /** Streams client and follower of stream shards, made on the first stream shard. */
  private streams?: { client: DynamoDBStreamsClient; reader: StreamShardReader };

  async *read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    this.assertOpen();
    if (typeof shard.spec.shard === 'string') {
      if (!this.streams) {
        const client = createStreamsClient(this.ctx);
        this.streams = { client, reader: new StreamShardReader(client, this.client, this.ctx) };
      }
      yield* this.streams.reader.read(shard, opts);
      return;
    }
    const spec = shard.spec as DynamodbShardSpec;
    let start = opts.from ? keyFromJson(opts.from) : undefined;
    let read = 0;
    do {
      if (opts.signal.aborted) return;
      let page;
      try {
        page = await this.client.send(new ScanCommand({
          TableName: spec.table,
          Segment: spec.segment,
          TotalSegments: spec.total,
          Limit: opts.batchSize,
          ConsistentRead: Boolean(this.ctx.params.consistent_read),
          ExclusiveStartKey: start,
          ...this.filter,
        }), { abortSignal: requestSignal(opts.signal) });
      } catch (err) {
        if (opts.signal.aborted) return;
        throw new ReadError(`scanning segment ${spec.segment}/${spec.total} after ${read} items: ${describeFailure(err, this.ctx, 'from', spec.table)}`, { cause: err });
      }
      start = page.LastEvaluatedKey && Object.keys(page.LastEvaluatedKey).length ? page.LastEvaluatedKey : undefined;
      const items = (page.Items ?? []) as Item[];
      read += items.length;
      const batches = this.batchesOf(items, spec);
      // Only the page's last batch carries the position: resuming there continues after the page.
      for (let i = 0; i < batches.length; i++) {
        if (i === batches.length - 1 && start) batches[i].position = keyToJson(start);
        yield batches[i];
      }
    } while (start);
  }

  /** The page's items as batches of one kind each (runs of rows and of entries, in order). */
  private batchesOf(items: Item[], spec: DynamodbShardSpec): Batch[] {
    const out: Batch[] = [];
    for (const item of items) {
      const bytes = itemSize(item);
      const { kind, record } = itemRecord(item, this.ctx, spec.table);
      const last = out[out.length - 1];
      if (last && last.kind === kind) {
        last.records.push(record);
        last.bytes += bytes;
      } else {
        out.push({ kind, records: [record], bytes });
      }
    }
    for (const b of out) nameColumns(b, this.ctx);
    return out;
  }

  protected async release(): Promise<void> {
    this.streams?.client.destroy();
    this.client.destroy();
  }
}

/** The scan's filter from params.filter_expression / filter_names / filter_values. */
export function scanFilter(ctx: PluginContext): Partial<ScanCommandInput> {
  const expression = String(ctx.params.filter_expression ?? '');
  if (!expression) return {};
  const names = (ctx.params.filter_names ?? {}) as Record<string, string>;
  const values = (ctx.params.filter_values ?? {}) as ScanCommandInput['ExpressionAttributeValues'] & object;
  return {
    FilterExpression: expression,
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

/** Segments of a scan: params.segments, else worker_num. */
function segmentsOf(ctx: PluginContext): number {
  const n = Number(ctx.params.segments ?? 0);
  return n > 0 ? n : Math.max(1, ctx.params.worker_num);
}

/** The scan's shards: one per segment. */
function scanShards(ctx: PluginContext, table: string, itemCount: number | undefined, stream?: string): Shard[] {
  const total = segmentsOf(ctx);
  return Array.from({ length: total }, (_, segment): Shard => ({
    id: `seg-${segment}`,
    label: `${table} scan segment ${segment + 1} of ${total}`,
    ...(itemCount !== undefined ? { estimatedRows: Math.ceil(itemCount / total) } : {}),
    spec: { table, segment, total, ...(stream ? { stream } : {}) } satisfies DynamodbShardSpec,
  }));
}

/**
 * DynamoDB reader: one shard per parallel-scan segment. `-mode stream` adds one unbounded shard per
 * shard of the table's stream, each after its parent and after every scan segment: the scan copies
 * the table, then the stream is replayed from its oldest record (TRIM_HORIZON), so every change
 * since the scan started is applied after it, in order per key. A rerun skips the finished scan and
 * continues each stream shard after its saved sequence number.
 */
export const dynamodbReader: ReaderFactory = {
  async validate(ctx) {
    const filter = scanFilter(ctx);
    if (ctx.mode === 'stream') {
      if (filter.FilterExpression) throw new TaskError(`task ${ctx.task.id}: params.filter_expression filters the scan only, not the stream's changes: -mode stream copies the whole table, remove the filter`);
      await tableStream(ctx, ctx.task.from_table);
      return;
    }
    if (!filter.FilterExpression) return;
    const client = createClient(ctx);
    try {
      await client.send(new ScanCommand({ TableName: ctx.task.from_table, Limit: 1, ...filter }), { abortSignal: ctx.signal });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'ValidationException') throw new TaskError(`task ${ctx.task.id}: params.filter_expression ${JSON.stringify(filter.FilterExpression)} is refused by DynamoDB: ${(err as Error).message}`, { cause: err });
      throw new ReadError(describeFailure(err, ctx, 'from', ctx.task.from_table), { cause: err });
    } finally {
      client.destroy();
    }
  },
  async plan(ctx) {
    const table = ctx.task.from_table;
    const client = createClient(ctx);
    try {
      const { itemCount } = await describeTable(client, ctx, 'from', table, (m, cause) => new ReadError(m, { cause }));
      if (ctx.mode !== 'stream') return scanShards(ctx, table, itemCount);
      const { arn } = await tableStream(ctx, table);
      const scan = scanShards(ctx, table, itemCount, arn);
      const streams = createStreamsClient(ctx);
      try {
        const shards = await listStreamShards(ctx, streams, table, arn);
        checkStreamSlots(ctx, table, shards);
        return [...scan, ...streamShards(table, arn, shards, scan.map((s) => s.id))];
      } finally {
        streams.destroy();
      }
    } finally {
      client.destroy();
    }
  },
  async discover(ctx, known) {
    const stream = known.map((s) => s.spec as Partial<StreamShardSpec>).find((s) => typeof s.stream === 'string' && typeof s.shard === 'string');
    if (!stream) return [];
    const ids = new Set(known.map((s) => s.id));
    const streams = createStreamsClient(ctx);
    try {
      const shards = await listStreamShards(ctx, streams, stream.table!, stream.stream!);
      const fresh = shards.filter((s) => !ids.has(s.ShardId!));
      if (fresh.length === 0) return [];
      const open = shards.filter((s) => !isClosed(s)).length;
      if (open > ctx.params.worker_num) ctx.logger.warn(`task ${ctx.task.id}: the stream of table "${stream.table}" now has ${open} open shards, more than worker_num (${ctx.params.worker_num}): some wait for a slot and fall behind; raise params.worker_num`);
      const scan = known.filter((s) => typeof s.spec.segment === 'number').map((s) => s.id);
      return streamShards(stream.table!, stream.stream!, fresh, scan);
    } finally {
      streams.destroy();
    }
  },
  async open(ctx) {
    return new DynamodbReader(createClient(ctx), ctx);
  },
};
