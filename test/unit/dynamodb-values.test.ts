import { describeFailure, endpointHost, isDynamodbTransient } from '../../plugins/dynamodb/config';
import { backoffMs } from '../../plugins/dynamodb/writer';
import { RejectedError, WriteError } from '../../src/errors';
import { attributeJson, itemSize, itemToRow, keyFromJson, keyToJson, rowToItem } from '../../plugins/dynamodb/values';
import dynamodb from '../../plugins/dynamodb';
import { pluginContext } from '../support/plugin-context';

const ctx = (connection: Record<string, unknown>) => pluginContext(dynamodb, { connection, task: { id: 7, from_app: 'app', from_db: 'main', from_table: 'orders' } });

describe('dynamodb values', () => {
  test('items become rows with numbers as exact text, maps, lists and sets as JSON text', () => {
    const row = itemToRow({
      id: { N: '18446744073709551615' }, s: { S: 'ü' }, b: { B: new Uint8Array([0, 255]) }, t: { BOOL: true }, z: { NULL: true },
      m: { M: { n: { N: '12345678901234567890123456789012345678' }, l: { L: [{ S: 'x' }, { B: new Uint8Array([1]) }] } } },
      ss: { SS: ['a', 'b'] }, ns: { NS: ['1.5', '9007199254740993'] },
    });
    expect(row).toEqual({
      id: '18446744073709551615', s: 'ü', b: Buffer.from([0, 255]), t: true, z: null,
      m: '{"n":12345678901234567890123456789012345678,"l":["x","AQ=="]}', ss: '["a","b"]', ns: '[1.5,9007199254740993]',
    });
  });

  test('rows become items: key attributes take the declared type, text S, numbers N, bytes B, NULL', () => {
    const keys = [{ name: 'id', type: 'N' as const }, { name: 'k', type: 'B' as const }];
    expect(rowToItem({ id: '9223372036854775808', k: 'a', big: '12345678901234567890', n: 42, f: 1e300, raw: Buffer.from([1]), no: null, d: { a: 1 } }, keys)).toEqual({
      id: { N: '9223372036854775808' }, k: { B: Buffer.from('a') }, big: { S: '12345678901234567890' }, n: { N: '42' }, f: { S: '1e+300' },
      raw: { B: Buffer.from([1]) }, no: { NULL: true }, d: { S: '{"a":1}' },
    });
  });

  test('positions are plain JSON and come back as the same key', () => {
    const key = { pk: { S: 'a' }, sk: { N: '1' }, b: { B: new Uint8Array([0xff, 0]) } };
    const json = keyToJson(key);
    expect(JSON.parse(JSON.stringify(json))).toEqual({ pk: { S: 'a' }, sk: { N: '1' }, b: { B64: '/wA=' } });
    expect(keyFromJson(json)).toEqual({ pk: { S: 'a' }, sk: { N: '1' }, b: { B: Buffer.from([0xff, 0]) } });
    expect(attributeJson({ BS: [new Uint8Array([1])] })).toBe('["AQ=="]');
  });

  test('item size counts names and values', () => {
    expect(itemSize({ id: { S: 'abc' }, x: { B: new Uint8Array(10) } })).toBe(2 + 3 + 1 + 10);
  });

  test('failures in one line: missing table, unreachable endpoint (host:port), credentials', () => {
    const local = ctx({ endpoint: 'http://127.0.0.1:8000', region: 'us-east-1' });
    expect(endpointHost(local)).toBe('127.0.0.1:8000');
    expect(endpointHost(ctx({ region: 'eu-west-1' }))).toBe('dynamodb.eu-west-1.amazonaws.com:443');
    const missing = Object.assign(new Error('Cannot do operations on a non-existent table'), { name: 'ResourceNotFoundException' });
    expect(describeFailure(missing, local, 'from', 'orders')).toBe('DynamoDB table "orders" does not exist at 127.0.0.1:8000 (from.dynamodb.app_main, task 7): create it first, or fix from_table');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    expect(describeFailure(refused, local, 'from', 'orders')).toBe('cannot reach DynamoDB at 127.0.0.1:8000 (from.dynamodb.app_main, task 7): connection refused (is the server running on that port?)');
    const cred = Object.assign(new Error('The security token included in the request is invalid.'), { name: 'UnrecognizedClientException' });
    expect(describeFailure(cred, local, 'from', 'orders')).toMatch(/^DynamoDB at 127\.0\.0\.1:8000 rejected the credentials of from\.dynamodb\.app_main \(task 7\): UnrecognizedClientException/);
  });

  test('throttling, 5xx and lost connections are transient; a missing table is not', () => {
    expect(isDynamodbTransient(Object.assign(new Error('x'), { name: 'ProvisionedThroughputExceededException' }))).toBe(true);
    expect(isDynamodbTransient(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isDynamodbTransient(new Error('wrapped', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isDynamodbTransient(Object.assign(new Error('x'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });

  test('backoff grows exponentially with jitter, capped at 5 s', () => {
    for (let a = 0; a < 20; a++) {
      const ms = backoffMs(a);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(Math.min(5000, 50 * 2 ** a));
    }
  });
});

describe('dynamodb writer (fake client)', () => {
  const { DynamodbWriter } = jest.requireActual('../../plugins/dynamodb/writer') as typeof import('../../plugins/dynamodb/writer');
  const shard = { id: 's', label: 's', spec: {} };
  const writerCtx = () => pluginContext(dynamodb, { connection: {}, task: { id: 7, to_app: 'app', to_db: 'main', to_table: 't' } });

  test('groups of 25; unprocessed items are sent again until written', async () => {
    const calls: number[] = [];
    const accepted: string[] = [];
    let throttled = 3;
    type Req = { PutRequest: { Item: { id: { N: string } } } };
    const client = {
      send: async (cmd: { input: { RequestItems: Record<string, Req[]> } }) => {
        const reqs = cmd.input.RequestItems.t;
        calls.push(reqs.length);
        // Throttle the first few calls: take one item, give back the rest as unprocessed.
        const taken = throttled-- > 0 ? reqs.slice(0, 1) : reqs;
        accepted.push(...taken.map((r) => r.PutRequest.Item.id.N));
        return { UnprocessedItems: taken.length < reqs.length ? { t: reqs.slice(1) } : {} };
      },
      destroy: () => undefined,
    };
    const w = new DynamodbWriter(client as never, [{ name: 'id', type: 'N' }], writerCtx());
    const records = Array.from({ length: 60 }, (_, i) => ({ id: String(i), v: 'x' }));
    expect(await w.write({ kind: 'row', records, bytes: 0 }, shard)).toBe(60);
    expect(calls.slice(0, 3).sort()).toEqual([10, 25, 25]);
    expect(calls.length).toBeGreaterThan(3);
    // Every item was written exactly once.
    expect(accepted.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await w.close();
  });

  test('items still unprocessed after every attempt fail in one line, as a transient error', async () => {
    const client = { send: async (cmd: { input: { RequestItems: Record<string, unknown[]> } }) => ({ UnprocessedItems: cmd.input.RequestItems }), destroy: () => undefined };
    const w = new DynamodbWriter(client as never, [{ name: 'id', type: 'N' }], writerCtx());
    jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const err = await w.write({ kind: 'row', records: [{ id: '1' }, { id: '2' }], bytes: 0 }, shard).catch((e: Error) => e);
      expect((err as Error).message).toBe('table "t" (task 7): 2 items still unprocessed after 12 BatchWriteItem attempts (throttled; raise the table\'s write capacity or lower worker_num), e.g. id=1; id=2');
      expect(isDynamodbTransient(err)).toBe(true);
    } finally {
      jest.restoreAllMocks();
      await w.close();
    }
  });

  test('an item DynamoDB would refuse is a RejectedError naming its key, and nothing of the batch is sent', async () => {
    const sent: unknown[] = [];
    const client = { send: async (c: unknown) => (sent.push(c), {}), destroy: () => undefined };
    const w = new DynamodbWriter(client as never, [{ name: 'id', type: 'N' }], writerCtx());
    const refused = async (records: Record<string, unknown>[]) => {
      const err = await w.write({ kind: 'row', records: [{ id: '1', body: 'fine' }, ...records], bytes: 0 }, shard).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(RejectedError);
      return err as RejectedError;
    };
    expect((await refused([{ name: 'no id' }])).reason).toBe('the item with id=(missing) lacks key attribute id (N); attributes: name');
    expect((await refused([{ id: '5', body: 'x'.repeat(410_000) }])).reason).toMatch(/^the item with id=5 is 410008 bytes, over DynamoDB's 400 KB item limit$/);
    expect((await refused([{ id: 'abc' }])).reason).toBe('the item\'s key attribute id (N) is not a number: "abc"');
    expect(sent).toHaveLength(0);
    await w.close();
    const s = new DynamodbWriter(client as never, [{ name: 'k', type: 'S' }], writerCtx());
    const long = await s.write({ kind: 'row', records: [{ k: 'x'.repeat(2049) }], bytes: 0 }, shard).catch((e: Error) => e);
    expect(long).toBeInstanceOf(RejectedError);
    expect((long as Error).message).toMatch(/key attribute k is 2049 bytes, over DynamoDB's 2048-byte limit for a partition key/);
    await s.close();
  });

  test('a ValidationException is a RejectedError only when the batch went in one request', async () => {
    const invalid = Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException' });
    const client = { send: async () => { throw invalid; }, destroy: () => undefined };
    const w = new DynamodbWriter(client as never, [{ name: 'id', type: 'N' }], writerCtx());
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1) }));
    expect(await w.write({ kind: 'row', records: rows(25), bytes: 0 }, shard).catch((e: Error) => e)).toBeInstanceOf(RejectedError);
    const many = await w.write({ kind: 'row', records: rows(26), bytes: 0 }, shard).catch((e: Error) => e);
    expect(many).toBeInstanceOf(WriteError);
    expect(many).not.toBeInstanceOf(RejectedError);
    await w.close();
  });
});
