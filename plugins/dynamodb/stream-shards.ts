import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, Shard as StreamShard, StreamViewType } from '@aws-sdk/client-dynamodb-streams';
import type { PluginContext, Shard } from '../../src/sdk';
import { ReadError, TaskError } from '../../src/sdk';
import { createClient, describeFailure, endpointHost, entryPath, streamsClientConfig } from './config';

/** Spec of a stream shard: one shard of the table's stream, with its parent (the shard it split from). */
export interface StreamShardSpec {
  [key: string]: unknown;
  table: string;
  stream: string;
  shard: string;
  parent: string | null;
}

/** The table's enabled stream: its ARN and what its records carry. */
export interface TableStream {
  arn: string;
  viewType: StreamViewType;
}

/** A DynamoDB Streams client for the source connection entry. */
export function createStreamsClient(ctx: PluginContext): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(streamsClientConfig(ctx));
}

/**
 * The table's stream, for `-mode stream`.
 * @throws TaskError with one line saying how to enable the stream when the table has none
 */
export async function tableStream(ctx: PluginContext, table: string): Promise<TableStream> {
  const client = createClient(ctx);
  try {
    const desc = (await client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: ctx.signal })).Table;
    const spec = desc?.StreamSpecification;
    if (!spec?.StreamEnabled || !desc?.LatestStreamArn) {
      throw new TaskError(`task ${ctx.task.id}: -mode stream follows the table's DynamoDB stream, but table "${table}" at ${endpointHost(ctx)} (${entryPath(ctx, 'from')}) has none enabled: enable one with \`aws dynamodb update-table --table-name ${table} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES\``);
    }
    return { arn: desc.LatestStreamArn, viewType: (spec.StreamViewType ?? 'KEYS_ONLY') as StreamViewType };
  } catch (err) {
    if (err instanceof TaskError) throw err;
    throw new ReadError(describeFailure(err, ctx, 'from', table), { cause: err });
  } finally {
    client.destroy();
  }
}

/** Every shard of a stream (DescribeStream pages), parents before their children. */
export async function listStreamShards(ctx: PluginContext, client: DynamoDBStreamsClient, table: string, arn: string): Promise<StreamShard[]> {
  const shards: StreamShard[] = [];
  let start: string | undefined;
  do {
    let out;
    try {
      out = await client.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }), { abortSignal: ctx.signal });
    } catch (err) {
      throw new ReadError(`describing the stream of table "${table}": ${describeFailure(err, ctx, 'from', table)}`, { cause: err });
    }
    shards.push(...(out.StreamDescription?.Shards ?? []));
    start = out.StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return parentsFirst(shards);
}

/** Shards ordered so that a parent comes before its children (the pool starts ready shards in order). */
function parentsFirst(shards: StreamShard[]): StreamShard[] {
  const byId = new Map(shards.map((s) => [s.ShardId!, s]));
  const out: StreamShard[] = [];
  const placed = new Set<string>();
  const place = (s: StreamShard, depth: number): void => {
    if (placed.has(s.ShardId!) || depth > shards.length) return;
    const parent = s.ParentShardId ? byId.get(s.ParentShardId) : undefined;
    if (parent) place(parent, depth + 1);
    placed.add(s.ShardId!);
    out.push(s);
  };
  for (const s of shards) place(s, 0);
  return out;
}

/** Whether a stream shard is closed (it has an ending sequence number: no new records). */
export function isClosed(s: StreamShard): boolean {
  return Boolean(s.SequenceNumberRange?.EndingSequenceNumber);
}

/**
 * Plan shards of the stream: every stream shard is `unbounded` (its fingerprint must not change when
 * an open shard closes later); a closed shard's read simply ends at its last record. A shard runs
 * after its parent and after every shard named in `after` (the first run's scan segments).
 */
export function streamShards(table: string, arn: string, shards: StreamShard[], after: string[]): Shard[] {
  return shards.map((s): Shard => {
    const parent = s.ParentShardId ?? null;
    return {
      id: s.ShardId!,
      label: `${table} stream shard ${s.ShardId} (${isClosed(s) ? 'closed' : 'open'}${parent ? `, after parent ${parent}` : ''})`,
      unbounded: true,
      after: [...(parent ? [parent] : []), ...after],
      spec: { table, stream: arn, shard: s.ShardId!, parent } satisfies StreamShardSpec,
    };
  });
}

/**
 * The stream shards in flight at once must fit `worker_num`: an open shard holds its slot until the
 * run stops, so one beyond the budget would never start.
 * @throws TaskError naming the number of open shards
 */
export function checkStreamSlots(ctx: PluginContext, table: string, shards: StreamShard[]): void {
  const open = shards.filter((s) => !isClosed(s)).length;
  if (open > ctx.params.worker_num) {
    throw new TaskError(`task ${ctx.task.id}: the stream of table "${table}" has ${open} open shards and each is followed by one of worker_num (${ctx.params.worker_num}) slots until the run stops: set params.worker_num to at least ${open} (a little more leaves room for shard splits)`);
  }
}
