/**
 * The DynamoDB stream reader's logic DynamoDB Local cannot show: sequence numbers of different
 * lengths, shard lists over several pages with children listed before their parents (a split),
 * new shards discovered while the run goes, and an iterator that expired (after 15 minutes) taken
 * again after the last record handed on.
 * The Streams client is a stand-in that answers the few commands the reader sends.
 */
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynamodbPlugin from '../../plugins/dynamodb';
import { sequenceAfter, StreamShardReader } from '../../plugins/dynamodb/stream-reader';
import * as streamShardsModule from '../../plugins/dynamodb/stream-shards';
import { listStreamShards, streamShards } from '../../plugins/dynamodb/stream-shards';
import type { Batch, Shard } from '../../src/sdk';
import { streamsClientConfig } from '../../plugins/dynamodb/config';
import { pluginContext } from '../support/plugin-context';

const ctx = pluginContext(dynamodbPlugin, { connection: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'y' }, task: { from_table: 't' }, mode: 'stream', peerType: 'mysql' });

/** A client whose `send` answers by command class. */
function fakeStreams(answer: (cmd: unknown) => unknown): DynamoDBStreamsClient {
  return { send: async (cmd: unknown) => answer(cmd) } as unknown as DynamoDBStreamsClient;
}

const record = (seq: string, id: number, v: string) => ({
  eventName: 'MODIFY',
  dynamodb: { SequenceNumber: seq, Keys: { id: { N: String(id) } }, NewImage: { id: { N: String(id) }, v: { S: v } }, SizeBytes: 10, ApproximateCreationDateTime: new Date(1_700_000_000_000) },
});

describe('dynamodb stream reader logic', () => {
  test('sequence numbers compare as big integers, not as text', () => {
    expect(sequenceAfter('100000000000000000000000', '99999999999999999999999')).toBe(true);
    expect(sequenceAfter('99999999999999999999999', '100000000000000000000000')).toBe(false);
    expect(sequenceAfter('000000000000000000010', '9')).toBe(true);
    expect(sequenceAfter('5', '5')).toBe(false);
    expect(sequenceAfter('5', undefined)).toBe(true);
  });

  test('shards over several DescribeStream pages come parents first; each runs after its parent and the scan', async () => {
    const pages: Record<string, { Shards: object[]; LastEvaluatedShardId?: string }> = {
      '': { Shards: [{ ShardId: 'c1', ParentShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '30' } }], LastEvaluatedShardId: 'c1' },
      c1: { Shards: [{ ShardId: 'c2', ParentShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '31' } }, { ShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '29' } }] },
    };
    const client = fakeStreams((cmd) => {
      expect(cmd).toBeInstanceOf(DescribeStreamCommand);
      return { StreamDescription: pages[(cmd as DescribeStreamCommand).input.ExclusiveStartShardId ?? ''] };
    });
    const shards = await listStreamShards(ctx, client, 't', 'arn:s');
    expect(shards.map((s) => s.ShardId)).toEqual(['p', 'c1', 'c2']);
    const planned: Shard[] = streamShards('t', 'arn:s', shards, ['seg-0']);
    expect(planned.map((s) => [s.id, s.after, s.unbounded])).toEqual([['p', ['seg-0'], true], ['c1', ['p', 'seg-0'], true], ['c2', ['p', 'seg-0'], true]]);
    expect(planned[0].label).toBe('t stream shard p (closed)');
    expect(planned[1].spec).toEqual({ table: 't', stream: 'arn:s', shard: 'c1', parent: 'p' });
  });

  test('an expired iterator is taken again after the last record handed on, and nothing is read twice', async () => {
    const iterators: string[] = [];
    let calls = 0;
    const client = fakeStreams((cmd) => {
      if (cmd instanceof GetShardIteratorCommand) {
        const { ShardIteratorType, SequenceNumber } = cmd.input;
        iterators.push(`${ShardIteratorType}${SequenceNumber ? ` ${SequenceNumber}` : ''}`);
        return { ShardIterator: `it-${iterators.length}` };
      }
      if (cmd instanceof GetRecordsCommand) {
        calls++;
        if (calls === 1) return { Records: [record('98', 1, 'a'), record('99', 2, 'b')], NextShardIterator: 'next' };
        if (calls === 2) throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
        // The new iterator starts after 99; a record at or before it would be a repeat.
        if (calls === 3) return { Records: [record('99', 2, 'b'), record('100', 1, 'c')], NextShardIterator: undefined };
      }
      throw new Error(`unexpected ${String(cmd)}`);
    });
    const reader = new StreamShardReader(client, {} as DynamoDBClient, ctx);
    const shard: Shard = { id: 's', label: 's', unbounded: true, spec: { table: 't', stream: 'arn:s', shard: 's', parent: null } };
    const batches: Batch[] = [];
    for await (const b of reader.read(shard, { batchSize: 100, signal: new AbortController().signal, from: '97' })) batches.push(b);
    expect(iterators).toEqual(['AFTER_SEQUENCE_NUMBER 97', 'AFTER_SEQUENCE_NUMBER 99']);
    expect(batches.map((b) => [b.records.map((r) => `${r.id}=${r.v}`), b.position, b.changedAt])).toEqual([
      [['1=a', '2=b'], '99', 1_700_000_000_000],
      [['1=c'], '100', 1_700_000_000_000],
    ]);
  });

  test('discover returns the shards of a split the run does not know yet, after their parent and the running scan', async () => {
    const shards = [
      { ShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '29' } },
      { ShardId: 'c1', ParentShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '30' } },
      { ShardId: 'c2', ParentShardId: 'p', SequenceNumberRange: { StartingSequenceNumber: '31' } },
    ];
    const spy = jest.spyOn(streamShardsModule, 'createStreamsClient').mockImplementation(() => Object.assign(fakeStreams(() => ({ StreamDescription: { Shards: shards } })), { destroy: () => undefined }));
    try {
      const known: Shard[] = [
        { id: 'seg-0', label: 'scan', spec: { table: 't', segment: 0, total: 1, stream: 'arn:s' } },
        ...streamShards('t', 'arn:s', [shards[0]], ['seg-0']),
      ];
      const found = await dynamodbPlugin.reader!.discover!(ctx, known);
      expect(found.map((s) => [s.id, s.after, s.unbounded, s.spec])).toEqual([
        ['c1', ['p', 'seg-0'], true, { table: 't', stream: 'arn:s', shard: 'c1', parent: 'p' }],
        ['c2', ['p', 'seg-0'], true, { table: 't', stream: 'arn:s', shard: 'c2', parent: 'p' }],
      ]);
      expect(await dynamodbPlugin.reader!.discover!(ctx, [...known, ...found])).toEqual([]);
      // A plan without stream shards (not -mode stream) has nothing to discover.
      expect(await dynamodbPlugin.reader!.discover!(ctx, [known[0]])).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});

test('the Streams client talks to streamsEndpoint when set, else to the table endpoint, else to AWS', () => {
  const config = (connection: Record<string, string>) =>
    streamsClientConfig(pluginContext(dynamodbPlugin, { connection: { region: 'eu-west-1', ...connection }, task: { from_table: 't' }, mode: 'stream', peerType: 'mysql' })).endpoint;
  expect(config({ endpoint: 'http://127.0.0.1:8000' })).toBe('http://127.0.0.1:8000');
  expect(config({ endpoint: 'https://vpce-1.dynamodb.eu-west-1.vpce.amazonaws.com', streamsEndpoint: 'https://streams.dynamodb.eu-west-1.amazonaws.com' })).toBe('https://streams.dynamodb.eu-west-1.amazonaws.com');
  expect(config({})).toBeUndefined();
});
