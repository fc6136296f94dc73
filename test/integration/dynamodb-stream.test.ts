/**
 * `-mode stream` for a DynamoDB source, against DynamoDB Local with Streams on 127.0.0.1:8000.
 * The reader alone: a plan of scan segments and stream shards, a page of changes as the last change
 * per key, resuming after a sequence number, a stream without new images, a closed shard that
 * ends, a saved position the stream no longer holds, and a table without a stream; the writer's
 * deletes. Then the CLI:
 * a table mirrored into MySQL by `-mode stream` across a SIGKILL and a restart, stopped by SIGTERM,
 * and into Redis hashes through a key template.
 * Every test uses tables of its own and deletes them.
 */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import Redis from 'ioredis';
import dynamodbPlugin from '../../plugins/dynamodb';
import type { Batch, PluginContext, Shard } from '../../src/sdk';
import { createTable, DDB_DB, ddbClient, deleteTable, dynamodbEntry, scanAll, tableName } from '../support/fixtures/dynamodb';
import { DST_DB } from '../support/fixtures/redis';
import { redisEntry } from '../support/fixtures/shared';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';
import { pluginContext } from '../support/plugin-context';

const client = ddbClient();
const tables: string[] = [];

async function streamTable(what: string, view: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'KEYS_ONLY' | null): Promise<string> {
  const name = tableName(what);
  await createTable(client, name, [['id', 'N']]);
  tables.push(name);
  if (view) await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: view } }));
  return name;
}

const put = (table: string, id: number, v: string) => client.send(new PutItemCommand({ TableName: table, Item: { id: { N: String(id) }, v: { S: v }, n: { N: '12345678901234567890.123456789' } } }));
const update = (table: string, id: number, v: string) => client.send(new UpdateItemCommand({ TableName: table, Key: { id: { N: String(id) } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { S: v } } }));
const remove = (table: string, id: number) => client.send(new DeleteItemCommand({ TableName: table, Key: { id: { N: String(id) } } }));

function streamContext(table: string, signal?: AbortSignal, params: Record<string, unknown> = {}): PluginContext {
  return pluginContext(dynamodbPlugin, { connection: dynamodbEntry, params: { worker_num: 4, segments: 2, ...params }, task: { from_db: DDB_DB, from_table: table }, peerType: 'mysql', mode: 'stream', signal });
}

/** Read a stream shard until `enough` says so (then stop it as a run stop does), or until it ends. */
async function follow(ctx: PluginContext, shard: Shard, from: string | undefined, enough: (batches: Batch[]) => boolean): Promise<{ batches: Batch[]; ended: boolean }> {
  const stop = new AbortController();
  const session = await dynamodbPlugin.reader!.open(ctx);
  const batches: Batch[] = [];
  const timer = setTimeout(() => stop.abort(), 15_000);
  let ended = false;
  try {
    for await (const b of session.read(shard, { batchSize: 100, signal: stop.signal, from })) {
      batches.push(b);
      if (enough(batches)) stop.abort();
    }
    ended = !stop.signal.aborted;
  } finally {
    clearTimeout(timer);
    await session.close();
  }
  return { batches, ended };
}

const changes = (batches: Batch[]) => batches.flatMap((b) => [...b.records.map((r) => ['put', String(r.id), r.v]), ...(b.deletes ?? []).map((r) => ['del', String(r.id)])]);

afterAll(async () => {
  for (const t of tables) await deleteTable(client, t);
  client.destroy();
});

describe('dynamodb stream reader', () => {
  test('plans the scan segments, then every stream shard after them; a page is the last change per key, positions resume strictly after', async () => {
    const table = await streamTable('stream', 'NEW_AND_OLD_IMAGES');
    await put(table, 1, 'a');
    await put(table, 2, 'b');
    await update(table, 1, 'a2');
    await remove(table, 2);
    await put(table, 3, 'c');
    const ctx = streamContext(table);
    await dynamodbPlugin.reader!.validate!(ctx);
    const shards = await dynamodbPlugin.reader!.plan(ctx);
    const scan = shards.filter((s) => typeof s.spec.segment === 'number');
    const stream = shards.filter((s) => typeof s.spec.shard === 'string');
    expect(scan.map((s) => s.id)).toEqual(['seg-0', 'seg-1']);
    expect(scan[0].spec).toMatchObject({ table, segment: 0, total: 2, stream: expect.stringContaining(`table/${table}/stream/`) });
    expect(stream).toHaveLength(1);
    expect(stream[0]).toMatchObject({ unbounded: true, after: ['seg-0', 'seg-1'], spec: { table, stream: scan[0].spec.stream, parent: null } });

    const first = await follow(ctx, stream[0], undefined, (b) => changes(b).length >= 3);
    // One page: key 1 once with its last image, key 2 deleted, key 3 put; N exact.
    expect(changes(first.batches).sort()).toEqual([['del', '2'], ['put', '1', 'a2'], ['put', '3', 'c']]);
    const batch = first.batches[0];
    expect(batch.records.find((r) => r.id === '1')).toEqual({ id: '1', v: 'a2', n: '12345678901234567890.123456789' });
    expect(batch.deletes).toEqual([{ id: '2' }]);
    expect(typeof batch.position).toBe('string');
    expect(batch.changedAt).toBeGreaterThan(Date.now() - 10 * 60_000);

    await update(table, 3, 'c2');
    await remove(table, 1);
    const next = await follow(ctx, stream[0], batch.position as string, (b) => changes(b).length >= 2);
    expect(changes(next.batches).sort()).toEqual([['del', '1'], ['put', '3', 'c2']]);
    expect(BigInt(next.batches[next.batches.length - 1].position as string) > BigInt(batch.position as string)).toBe(true);
  });

  test('a KEYS_ONLY stream reads the item itself; an item gone since is a delete', async () => {
    const table = await streamTable('keys', 'KEYS_ONLY');
    await put(table, 1, 'x');
    await put(table, 2, 'y');
    await update(table, 1, 'x2');
    await remove(table, 2);
    const ctx = streamContext(table);
    const [shard] = (await dynamodbPlugin.reader!.plan(ctx)).filter((s) => s.unbounded);
    const { batches } = await follow(ctx, shard, undefined, (b) => changes(b).length >= 2);
    expect(changes(batches).sort()).toEqual([['del', '2'], ['put', '1', 'x2']]);
  });

  test('a closed shard ends at its last record; a saved position the stream no longer holds says to run a full copy', async () => {
    const table = await streamTable('closed', 'NEW_IMAGE');
    await put(table, 1, 'x');
    const ctx = streamContext(table);
    const [shard] = (await dynamodbPlugin.reader!.plan(ctx)).filter((s) => s.unbounded);
    await client.send(new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: false } }));
    const { batches, ended } = await follow(ctx, shard, undefined, () => false);
    expect(ended).toBe(true);
    expect(changes(batches)).toEqual([['put', '1', 'x']]);

    // A sequence number before the shard's first record: what a checkpoint past the trim horizon looks like.
    await expect(follow(ctx, shard, '000000000000000000001', () => false)).rejects.toThrow(/^task 1: stream shard shardId-\S+ of table "gs_closed_\w+" no longer holds the saved position \(sequence number 000000000000000000001\): it is older than the stream's trim horizon .*; run a full copy first/);
  });

  test('a table without a stream is refused with one line saying how to enable it; a scan filter is refused in stream mode', async () => {
    const table = await streamTable('nostream', null);
    await expect(dynamodbPlugin.reader!.validate!(streamContext(table))).rejects.toThrow(new RegExp(`^task 1: -mode stream follows the table's DynamoDB stream, but table "${table}" at 127\\.0\\.0\\.1:8000 \\(from\\.dynamodb\\.t_main\\) has none enabled: enable one with \`aws dynamodb update-table --table-name ${table} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES\`$`));
    const filtered = streamContext(table, undefined, { filter_expression: 'id > :n', filter_values: { ':n': { N: '1' } } });
    await expect(dynamodbPlugin.reader!.validate!(filtered)).rejects.toThrow(/params\.filter_expression filters the scan only/);
  });
});

describe('dynamodb writer deletes', () => {
  test('deletes rows and native items by key, 25 per request; a key the table lacks is no error', async () => {
    const table = await streamTable('del', null);
    for (let id = 1; id <= 60; id++) await put(table, id, `v${id}`);
    const writerCtx = (peerType: string) => pluginContext(dynamodbPlugin, { connection: dynamodbEntry, task: { to_db: DDB_DB, to_table: table, from_db_type: peerType }, peerType });
    const shard: Shard = { id: 's', label: 's', spec: {} };
    const rows = await dynamodbPlugin.writer!.open(writerCtx('mysql'));
    try {
      expect(dynamodbPlugin.writer!.deletes).toBe(true);
      // Rows carry their key (as text, as mysql gives it), ids 1..40 and one the table never had.
      const records = [...Array.from({ length: 40 }, (_, i) => ({ id: String(i + 1) })), { id: '999' }];
      expect(await rows.delete!({ kind: 'row', records, bytes: 0 }, shard)).toBe(41);
    } finally {
      await rows.close();
    }
    const native = await dynamodbPlugin.writer!.open(writerCtx('dynamodb'));
    try {
      // Between two DynamoDB tables a delete carries the source's key item.
      expect(await native.delete!({ kind: 'row', records: [{ $dynamodb_item: { id: { N: '41' } } }], bytes: 0 }, shard)).toBe(1);
    } finally {
      await native.close();
    }
    expect((await scanAll(client, table, 'id')).map((i) => (i as { id: { N: string } }).id.N)).toEqual(Array.from({ length: 19 }, (_, i) => String(i + 42)));
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small deterministic random generator (mulberry32), so a failing workload can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('-mode stream from dynamodb, through the CLI', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    env.writeConfig({ from: { dynamodb: { t_main: dynamodbEntry } } });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  /** `ops` puts, counted updates and deletes on ids 1..keys, one after the other. */
  async function workload(table: string, rnd: () => number, ops: number, keys: number): Promise<void> {
    for (let i = 0; i < ops; i++) {
      const id = 1 + Math.floor(rnd() * keys);
      const dice = rnd();
      const Key = { id: { N: String(id) } };
      if (dice < 0.35) await client.send(new PutItemCommand({ TableName: table, Item: { ...Key, v: { S: `put ${i}` }, n: { N: `${id}${i}.00000000${1 + (i % 9)}` }, ver: { N: '1' } } }));
      else if (dice < 0.8) await client.send(new UpdateItemCommand({ TableName: table, Key, UpdateExpression: 'SET v = :v ADD ver :one', ExpressionAttributeValues: { ':v': { S: `upd ${i}` }, ':one': { N: '1' } } }));
      else await client.send(new DeleteItemCommand({ TableName: table, Key }));
    }
  }

  /** The table as rows [id, v, n, ver], by id. */
  const sourceRows = async (table: string) => (await scanAll(client, table, 'id')).map((i) => {
    const item = i as Record<string, { S?: string; N?: string }>;
    return [item.id.N, item.v?.S ?? null, item.n?.N ?? null, item.ver?.N ?? null];
  });
  const targetRows = async () => (await env.sql<Record<string, string | null>[]>('SELECT CAST(id AS CHAR) AS id, v, CAST(n AS CHAR) AS n, CAST(ver AS CHAR) AS ver FROM dst ORDER BY dst.id'))
    .map((r) => [r.id, r.v, r.n, r.ver]);

  /** Wait until the target mirrors the source (or 60 s); the last comparison decides. */
  async function mirrored(table: string, stderr: () => string): Promise<void> {
    for (let i = 0; i < 120; i++) {
      if (JSON.stringify(await sourceRows(table)) === JSON.stringify(await targetRows())) return;
      await sleep(500);
    }
    const [source, target] = [await sourceRows(table), await targetRows()];
    const text = (rows: unknown[][]) => new Set(rows.map((r) => JSON.stringify(r)));
    const [s, t] = [text(source), text(target)];
    const differ = [...[...s].filter((r) => !t.has(r)).slice(0, 3).map((r) => `source ${r}`), ...[...t].filter((r) => !s.has(r)).slice(0, 3).map((r) => `target ${r}`)];
    throw new Error(`the target has ${target.length} rows, the source ${source.length}, not the same after 60 s (${differ.join('; ')}); goshift said:\n${stderr().split('\n').slice(0, 8).join('\n')}`);
  }

  const positions = async (id: number) => env.admin.query(`SELECT shard_id, status, position FROM \`${env.metaDb}\`.goshift_shard_position WHERE task_id = ? ORDER BY shard_id`, [id])
    .then(([rows]) => rows as { shard_id: string; status: string; position: string | null }[]);

  test('into mysql: mirrors puts, updates and deletes across a SIGKILL and a restart; SIGTERM stops it, exit 0 as stopped, and the checkpoint survives; a checkpoint past the trim horizon fails clearly', async () => {
    const table = await streamTable('mirror', 'NEW_AND_OLD_IMAGES');
    await env.sql('CREATE TABLE dst (id bigint PRIMARY KEY, v varchar(64) NULL, n decimal(40,9) NULL, ver bigint NULL)');
    const rnd = random(11);
    // Items before the run (the scan copies them) and changes before it (the stream replays them).
    for (let id = 1; id <= 150; id++) await client.send(new PutItemCommand({ TableName: table, Item: { id: { N: String(id) }, v: { S: 'seed' }, n: { N: `1234567890123456789${id}.123456789` }, ver: { N: '1' } } }));
    await workload(table, rnd, 100, 200);
    const id = await env.addTask({ from_db_type: 'dynamodb', from_db: DDB_DB, from_table: table, to_table: 'dst', params: { worker_num: 3, segments: 2, read_batch: 40, checkpoint_seconds: 1 } });

    // Run 1: the scan, then the stream; changes while it runs; killed without a chance to save.
    const first = env.spawnRun(id, ['-mode', 'stream']);
    const streamShard = async () => (await positions(id)).find((p) => p.shard_id.startsWith('shardId-') && p.position !== null);
    try {
      for (let i = 0; i < 120 && !(await streamShard()); i++) await sleep(250);
      // The stream shard saved a position: the scan is done and the stream is being followed.
      if (!(await streamShard())) throw new Error(`no stream position saved after 30 s; goshift said:\n${first.stderr()}`);
      await workload(table, rnd, 300, 200);
    } finally {
      first.child.kill('SIGKILL');
    }
    expect(await first.exited).not.toBe(0);
    const killedAt = await streamShard();

    // Changes while goshift is down, then run 2 resumes after the saved sequence number.
    await workload(table, rnd, 200, 200);
    const second = env.spawnRun(id, ['-mode', 'stream']);
    try {
      await workload(table, rnd, 200, 200);
      await mirrored(table, second.stderr);
      // The progress line of a feed shows events/s and lag (every 2 s when not a TTY).
      for (let i = 0; i < 20 && !/events\/s, lag/.test(second.stderr()); i++) await sleep(250);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toMatch(/resuming the interrupted copy: 2 of 3 shards already done, 1 continue after their saved position/);
    expect(second.stderr()).toMatch(/\d+ events\/s, lag (\d+\.\d s|-)/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });
    expect(await targetRows()).toEqual(await sourceRows(table));

    // The checkpoint survives the stop: the scan done, the stream shard after its last written record.
    const saved = await positions(id);
    expect(saved.map((p) => [p.shard_id, p.status])).toEqual([['seg-0', 'done'], ['seg-1', 'done'], [killedAt!.shard_id, 'partial']]);
    const position = JSON.parse(saved[2].position!) as string;
    expect(position).toMatch(/^\d{21,}$/);
    expect(BigInt(position) > BigInt(JSON.parse(killedAt!.position!) as string)).toBe(true);

    // A checkpoint the stream no longer holds (as after 24 hours) fails the run in one line.
    await env.admin.query(`UPDATE \`${env.metaDb}\`.goshift_shard_position SET position = ? WHERE task_id = ? AND shard_id = ?`, [JSON.stringify('000000000000000000001'), id, killedAt!.shard_id]);
    const trimmed = await env.run(id, ['-mode', 'stream']);
    expect(trimmed.code).not.toBe(0);
    expect(trimmed.stderr).toMatch(/no longer holds the saved position \(sequence number 000000000000000000001\): it is older than the stream's trim horizon .*; run a full copy first/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed' });
  });

  test('into redis: plan shows the stream shard; items become hashes under the key template, a removed item deletes its key', async () => {
    const table = await streamTable('redis', 'NEW_IMAGE');
    const prefix = `gsddbs:${randomUUID().slice(0, 8)}:`;
    const redis = new Redis({ db: Number(DST_DB) });
    env.writeConfig({ from: { dynamodb: { t_main: dynamodbEntry } }, to: { redis: { [`t_${DST_DB}`]: redisEntry } } });
    try {
      for (let id = 1; id <= 20; id++) await put(table, id, `v${id}`);
      const id = await env.addTask({ from_db_type: 'dynamodb', to_db_type: 'redis', from_db: DDB_DB, to_db: DST_DB, from_table: table, to_table: '', params: { worker_num: 2, segments: 1, key_template: `${prefix}{id}` } });
      // plan shows the scan segment, then the stream shard after it.
      const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id), '-mode', 'stream']);
      expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: '' });
      expect(plan.stdout).toMatch(new RegExp(`seg-0\\s+${table} scan segment 1 of 1[\\s\\S]*shardId-\\S+\\s+${table} stream shard shardId-\\S+ \\(open\\)`));
      const run = env.spawnRun(id, ['-mode', 'stream']);
      const hashes = async () => {
        const keys = (await redis.keys(`${prefix}*`)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
        return Promise.all(keys.map(async (k) => [k.slice(prefix.length), (await redis.hgetall(k)).v]));
      };
      const expected = (ids: number[], v: (i: number) => string) => ids.map((i) => [String(i), v(i)]);
      try {
        for (let i = 0; i < 120 && (await hashes()).length < 20; i++) await sleep(250);
        expect(await hashes()).toEqual(expected(Array.from({ length: 20 }, (_, i) => i + 1), (i) => `v${i}`));
        for (let i = 1; i <= 5; i++) await update(table, i, `u${i}`);
        for (let i = 6; i <= 10; i++) await remove(table, i);
        await put(table, 21, 'v21');
        const want = expected([1, 2, 3, 4, 5, ...Array.from({ length: 11 }, (_, i) => i + 11)], (i) => (i <= 5 ? `u${i}` : `v${i}`));
        for (let i = 0; i < 120 && JSON.stringify(await hashes()) !== JSON.stringify(want); i++) await sleep(250);
        expect(await hashes()).toEqual(want);
      } finally {
        run.child.kill('SIGTERM');
      }
      expect(await run.exited).toBe(0);
      expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });
    } finally {
      await deleteKeys(redis, `${prefix}*`);
      redis.disconnect();
    }
  });
});
