/**
 * The DynamoDB store against DynamoDB Local on 127.0.0.1:8000: parallel-scan segments, exact
 * round trips (mysql -> dynamodb -> mysql with the fidelity types, redis -> dynamodb -> redis with
 * every type and TTLs, dynamodb -> dynamodb), and one clear line for a missing table, an unreachable
 * endpoint and an oversized item. Every test uses tables of its own and deletes them.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import dynamodbPlugin from '../../plugins/dynamodb';
import type { Shard } from '../../src/sdk';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';
import { createTable, DDB_DB, ddbClient, deleteTable, dynamodbEntry, plainItem, putItems, scanAll, tableName } from '../support/fixtures/dynamodb';
import { richItem, seedRedisTypes } from '../support/fixtures/dynamodb-pairs';
import { DST_DB, SRC_DB } from '../support/fixtures/redis';
import { redisEntry, redisSnapshot } from '../support/fixtures/shared';
import { pluginContext } from '../support/plugin-context';

// The types of the mysql fidelity test (test/integration/file-store.test.ts).
const fidelityDdl = (name: string) => `CREATE TABLE ${name} (
  id bigint unsigned NOT NULL PRIMARY KEY, i64 bigint NULL, u64 bigint unsigned NULL, dec30 decimal(30,10) NULL, dec38 decimal(38,0) NULL,
  dt6 datetime(6) NULL, ts3 timestamp(3) NULL, d date NULL, t time(6) NULL, y year NULL, js json NULL,
  bin varbinary(64) NULL, blb blob NULL, txt text CHARACTER SET utf8mb4 NULL, dbl double NULL, en enum('a','b') NULL, bits bit(8) NULL
) DEFAULT CHARSET=utf8mb4`;

const fidelityRows = `INSERT INTO src (id, i64, u64, dec30, dec38, dt6, ts3, d, t, y, js, bin, blb, txt, dbl, en, bits) VALUES
 (0, -9223372036854775808, 18446744073709551615, '-99999999999999999999.9999999999', -99999999999999999999999999999999999999, '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000', '1000-01-01', '-838:59:59.000000', 1901, '{"big": 9007199254740993, "s": "ü"}', X'00', X'', '', -1.7976931348623157e308, 'a', b'00000000'),
 (9223372036854775808, 9223372036854775807, 9007199254740993, '99999999999999999999.9999999999', 12345678901234567890123456789012345678, '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '9999-12-31', '838:59:59.000000', 2155, '[1, 2.50, "x"]', X'00FF0A0D27225C1A', X'DEADBEEF00', 'emoji 🚀 and 中文 and \\'quote\\' and \\\\ backslash, "comma"', 4.9e-324, 'b', b'11111111'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 9007199254740993, 12345678901234567890, '0.0000000001', 0, '2024-03-31 02:30:00.123456', '2024-03-31 02:30:00.123', '2024-02-29', '00:00:00.000001', 2024, '{}', REPEAT(X'AB', 64), REPEAT(X'01', 1000), 'line1\\nline2\\ttab\\r\\0nul', 0.1, NULL, b'1010'),
 (18446744073709551615, 0, 0, '0', 1, NULL, NULL, NULL, NULL, NULL, NULL, X'5C4E', X'', '\\\\N', 0, NULL, NULL)`;

/** Exit 0 and no error or warning on stderr (the run's info lines go there). */
function expectOk(run: { code: number | null; stderr: string }): void {
  expect({ code: run.code, problems: run.stderr.split('\n').filter((l) => /error|warn/i.test(l)) }).toEqual({ code: 0, problems: [] });
}

describe('dynamodb store', () => {
  const client = ddbClient();
  const tables: string[] = [];
  let env: GoshiftTestEnv | undefined;

  const newTable = async (what: string, keys: [string, 'S' | 'N' | 'B'][]) => {
    const name = tableName(what);
    await createTable(client, name, keys);
    tables.push(name);
    return name;
  };
  const useEnv = async () => {
    env = await new GoshiftTestEnv().setup();
    env.writeConfig({ from: { dynamodb: { t_main: dynamodbEntry }, redis: { [`t_${SRC_DB}`]: redisEntry } }, to: { dynamodb: { t_main: dynamodbEntry }, redis: { [`t_${DST_DB}`]: redisEntry } } });
    return env;
  };

  afterEach(async () => {
    for (const t of tables.splice(0)) await deleteTable(client, t);
    await env?.cleanup();
    env = undefined;
  });
  afterAll(() => client.destroy());

  test.each([1, 4, 16])('a scan in %i segments reads every item exactly once, with resumable positions', async (segments) => {
    const table = await newTable('scan', [['id', 'N']]);
    const count = 2000;
    await putItems(client, table, Array.from({ length: count }, (_, n) => plainItem(n + 1)));
    const ctx = pluginContext(dynamodbPlugin, { connection: dynamodbEntry, params: { worker_num: 3, segments }, task: { from_db: DDB_DB, from_table: table }, peerType: 'mysql' });
    const shards: Shard[] = await dynamodbPlugin.reader!.plan(ctx);
    expect(shards.map((s) => s.spec)).toEqual(Array.from({ length: segments }, (_, segment) => ({ table, segment, total: segments })));
    const session = await dynamodbPlugin.reader!.open(ctx);
    const seen = new Map<string, number>();
    try {
      for (const shard of shards) {
        // Read half of the shard, then resume after the last position, as a rerun does.
        let position: unknown;
        let batches = 0;
        for await (const batch of session.read(shard, { batchSize: 97, signal: ctx.signal })) {
          expect(batch.kind).toBe('row');
          for (const r of batch.records) seen.set(String(r.id), (seen.get(String(r.id)) ?? 0) + 1);
          position = batch.position;
          if (++batches === 2) break;
        }
        if (position === undefined) continue;
        for await (const batch of session.read(shard, { batchSize: 97, signal: ctx.signal, from: position as never })) {
          for (const r of batch.records) seen.set(String(r.id), (seen.get(String(r.id)) ?? 0) + 1);
        }
      }
    } finally {
      await session.close();
    }
    expect(seen.size).toBe(count);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  test('a scan filter reads only matching items; a filter DynamoDB refuses fails before planning', async () => {
    const table = await newTable('filter', [['id', 'N']]);
    await putItems(client, table, Array.from({ length: 400 }, (_, n) => plainItem(n + 1)));
    const params = { worker_num: 4, filter_expression: '#i > :min AND attribute_type(amount, :n)', filter_names: { '#i': 'id' }, filter_values: { ':min': { N: '300' }, ':n': { S: 'N' } } };
    const ctx = pluginContext(dynamodbPlugin, { connection: dynamodbEntry, params, task: { from_db: DDB_DB, from_table: table }, peerType: 'mysql' });
    await dynamodbPlugin.reader!.validate!(ctx);
    const session = await dynamodbPlugin.reader!.open(ctx);
    const ids: number[] = [];
    try {
      for (const shard of await dynamodbPlugin.reader!.plan(ctx)) {
        for await (const batch of session.read(shard, { batchSize: 50, signal: ctx.signal })) ids.push(...batch.records.map((r) => Number(r.id)));
      }
    } finally {
      await session.close();
    }
    // ids 301..400 whose amount is a number (every 4th is NULL).
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n + 301).filter((i) => i % 4 !== 0));
    const bad = pluginContext(dynamodbPlugin, { connection: dynamodbEntry, params: { filter_expression: 'id >' }, task: { from_db: DDB_DB, from_table: table }, peerType: 'mysql' });
    await expect(dynamodbPlugin.reader!.validate!(bad)).rejects.toThrow(/^task 1: params\.filter_expression "id >" is refused by DynamoDB: /);
  });

  test('mysql -> dynamodb -> mysql is exact (BIGINT beyond 2^63, DECIMAL(38,0), DATETIME(6), binary, NULL, utf8mb4)', async () => {
    const e = await useEnv();
    await e.sql(fidelityDdl('src'));
    await e.sql(fidelityDdl('dst'));
    await e.sql(fidelityRows);
    const table = await newTable('fid', [['id', 'N']]);
    const params = { pk: { src: 'id', dest: 'id' }, worker_num: 2, read_batch: 2, write_batch: 2, direct_copy: false };
    const out = await e.addTask({ from_table: 'src', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: table, params });
    const exported = await e.run(out);
    expectOk(exported);
    // Keys beyond 2^63 are exact numbers in DynamoDB; other big numbers travel as exact text.
    const items = await scanAll(client, table, 'id');
    expect(items.map((i) => i.id)).toEqual(['0', '2', '3', '9223372036854775808', '18446744073709551615'].map((N) => ({ N })));
    expect(items[3].i64).toEqual({ S: '9223372036854775807' });
    expect(items[3].dec38).toEqual({ S: '12345678901234567890123456789012345678' });
    const back = await e.addTask({ from_db_type: 'dynamodb', from_db: DDB_DB, from_table: table, to_table: 'dst', params: { worker_num: 2, read_batch: 2, write_batch: 2, segments: 3 } });
    const imported = await e.run(back);
    expectOk(imported);
    expect(await e.lastRun(back)).toMatchObject({ status: 'success', rows_read: '5', rows_written: '5' });
    expect(await e.sql('SELECT * FROM dst ORDER BY id')).toEqual(await e.sql('SELECT * FROM src ORDER BY id'));
    const checksum = async (t: string) => String((await e.sql<{ Checksum: string }[]>(`CHECKSUM TABLE ${t}`))[0].Checksum);
    expect(await checksum('dst')).toBe(await checksum('src'));
  });

  test('dynamodb -> mysql: attributes an item lacks are NULL (items are sparse)', async () => {
    const e = await useEnv();
    const table = await newTable('sparse', [['id', 'N']]);
    await putItems(client, table, [{ id: { N: '1' }, name: { S: 'only name' } }, { id: { N: '2' }, amount: { N: '2.5' } }, { id: { N: '3' }, amount: { N: '3' }, name: { S: 'both' } }]);
    await e.sql('CREATE TABLE dst (id bigint PRIMARY KEY, name varchar(20) NULL, amount decimal(10,2) NULL)');
    const id = await e.addTask({ from_db_type: 'dynamodb', from_db: DDB_DB, from_table: table, to_table: 'dst', params: { worker_num: 1 } });
    expectOk(await e.run(id));
    expect(await e.sql('SELECT CAST(id AS CHAR) id, name, CAST(amount AS CHAR) amount FROM dst ORDER BY id')).toEqual([
      { id: '1', name: 'only name', amount: null }, { id: '2', name: null, amount: '2.50' }, { id: '3', name: 'both', amount: '3.00' },
    ]);
  });

  test('params.create_target creates a missing table keyed like the source (BIGINT key as N)', async () => {
    const e = await useEnv();
    await e.sql('CREATE TABLE src (id bigint unsigned PRIMARY KEY, name varchar(20) NULL)');
    await e.sql("INSERT INTO src VALUES (1, 'a'), (18446744073709551615, NULL)");
    const table = tableName('created');
    tables.push(table);
    const id = await e.addTask({ from_table: 'src', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: table, params: { create_target: true, direct_copy: false } });
    const run = await e.run(id);
    expectOk(run);
    expect(run.stderr).toContain(`CreateTable ${table} (id N HASH) PAY_PER_REQUEST`);
    expect(await scanAll(client, table, 'id')).toEqual([{ id: { N: '1' }, name: { S: 'a' } }, { id: { N: '18446744073709551615' }, name: { NULL: true } }]);
    // A second run finds the table and copies again.
    expectOk(await e.run(id));
  });

  test('redis -> dynamodb -> redis restores every type, value and absolute expiry', async () => {
    const e = await useEnv();
    const prefix = `gsddb:${randomUUID().slice(0, 8)}:`;
    const src = new Redis({ db: Number(SRC_DB) });
    const dst = new Redis({ db: Number(DST_DB) });
    try {
      await seedRedisTypes(src, prefix, 60);
      const table = await newTable('kv', [['key', 'S']]);
      const persist = await e.addTask({ from_db_type: 'redis', to_db_type: 'dynamodb', from_db: SRC_DB, to_db: DDB_DB, from_table: `${prefix}*`, to_table: table, params: { worker_num: 2, read_batch: 7, write_batch: 5 } });
      const p = await e.run(persist);
      expectOk(p);
      expect((await scanAll(client, table, 'key')).length).toBe(60);
      // An envelope whose expiry has passed by the time of the restore is not restored.
      const gone = `${prefix}gone`;
      await putItems(client, table, [{ key: { S: gone }, goshift_envelope: { S: JSON.stringify({ v: 1, key: gone, type: 'string', value: 'x', expireAt: Date.now() - 1000 }) } }]);
      // key_template maps plain items; envelope items come back under their own key.
      const restore = await e.addTask({ from_db_type: 'dynamodb', to_db_type: 'redis', from_db: DDB_DB, to_db: DST_DB, from_table: table, to_table: '', params: { worker_num: 2, read_batch: 7, write_batch: 5, key_template: `${prefix}{id}` } });
      const r = await e.run(restore);
      expectOk(r);
      const expected = await redisSnapshot(src, [`${prefix}*`]);
      const actual = await redisSnapshot(dst, [`${prefix}*`]);
      expect(Object.keys(expected.content as object)).toHaveLength(60);
      expect(await dst.exists(gone)).toBe(0);
      expect(actual.content).toEqual(expected.content);
      expect(Object.keys(actual.expiries).sort()).toEqual(Object.keys(expected.expiries).sort());
      for (const [k, at] of Object.entries(expected.expiries)) expect(Math.abs(actual.expiries[k] - at)).toBeLessThanOrEqual(2000);
    } finally {
      await deleteKeys(src, `${prefix}*`);
      await deleteKeys(dst, `${prefix}*`);
      src.disconnect();
      dst.disconnect();
    }
  });

  test('dynamodb -> redis restores persisted keys without params.key_template: all keys, then one with --key', async () => {
    const e = await useEnv();
    const prefix = `gsddb:${randomUUID().slice(0, 8)}:`;
    const src = new Redis({ db: Number(SRC_DB) });
    const dst = new Redis({ db: Number(DST_DB) });
    try {
      await seedRedisTypes(src, prefix, 24);
      const table = await newTable('kv', [['key', 'S']]);
      expectOk(await e.run(await e.addTask({ from_db_type: 'redis', to_db_type: 'dynamodb', from_db: SRC_DB, to_db: DDB_DB, from_table: `${prefix}*`, to_table: table, params: { worker_num: 2, read_batch: 7, write_batch: 5 } })));
      const restore = await e.addTask({ from_db_type: 'dynamodb', to_db_type: 'redis', from_db: DDB_DB, to_db: DST_DB, from_table: table, to_table: '', params: { worker_num: 2, read_batch: 7, write_batch: 5 } });
      const expected = await redisSnapshot(src, [`${prefix}*`]);
      const sameAs = async (want: typeof expected) => {
        const actual = await redisSnapshot(dst, [`${prefix}*`]);
        expect(actual.content).toEqual(want.content);
        expect(Object.keys(actual.expiries).sort()).toEqual(Object.keys(want.expiries).sort());
        for (const [k, at] of Object.entries(want.expiries)) expect(Math.abs(actual.expiries[k] - at)).toBeLessThanOrEqual(2000);
      };
      expectOk(await e.run(restore));
      expect(Object.keys(expected.content as object)).toHaveLength(24);
      expect(Object.keys(expected.expiries)).toHaveLength(6);
      await sameAs(expected);
      // One key (a hash with an expiry) back through the same task.
      await deleteKeys(dst, `${prefix}*`);
      const one = `${prefix}8`;
      const only = await e.run(restore, ['--key', one]);
      expectOk(only);
      const content = expected.content as Record<string, unknown>;
      await sameAs({ content: { [one]: content[one] }, expiries: { [one]: expected.expiries[one] } });
    } finally {
      await deleteKeys(src, `${prefix}*`);
      await deleteKeys(dst, `${prefix}*`);
      src.disconnect();
      dst.disconnect();
    }
  });

  test('dynamodb -> dynamodb keeps sets, binary, maps, lists and 38-digit numbers exactly; skip_existing keeps existing items', async () => {
    const e = await useEnv();
    const src = await newTable('rich', [['pk', 'S'], ['sk', 'N']]);
    const dst = await newTable('rich', [['pk', 'S'], ['sk', 'N']]);
    await putItems(client, src, Array.from({ length: 300 }, (_, i) => richItem(i)));
    const existing = { ...richItem(5), flag: { S: 'kept' } };
    await putItems(client, dst, [existing]);
    const id = await e.addTask({ from_db_type: 'dynamodb', to_db_type: 'dynamodb', from_db: DDB_DB, to_db: DDB_DB, from_table: src, to_table: dst, params: { worker_num: 24, read_batch: 40, write_batch: 30, write_mode: 'skip_existing' } });
    const run = await e.run(id);
    expectOk(run);
    expect(await e.lastRun(id)).toMatchObject({ status: 'success', rows_read: '300', rows_written: '299' });
    const want = (await scanAll(client, src, 'pk')).map((i) => (i.pk as { S: string }).S === 'k5' ? { ...i, flag: { S: 'kept' } } : i);
    expect(await scanAll(client, dst, 'pk')).toEqual(want);
  });

  test('a missing table, an unreachable endpoint, bad credentials, a wrong key schema and an oversized item fail with one clear line', async () => {
    const e = await useEnv();
    e.writeConfig({
      from: { dynamodb: { t_main: dynamodbEntry, t_down: { ...dynamodbEntry, endpoint: 'http://127.0.0.1:1' }, t_badkey: { ...dynamodbEntry, accessKeyId: 'not a key' } } },
      to: { dynamodb: { t_main: dynamodbEntry } },
    });
    await e.sql('CREATE TABLE t (id bigint PRIMARY KEY, body longtext NULL)');
    const missing = `gs_missing_${randomUUID().slice(0, 8)}`;
    const checks: [number, RegExp][] = [
      [await e.addTask({ from_db_type: 'dynamodb', from_db: DDB_DB, from_table: missing, to_table: 't' }), new RegExp(`DynamoDB table "${missing}" does not exist at 127\\.0\\.0\\.1:8000 \\(from\\.dynamodb\\.t_main`)],
      [await e.addTask({ from_table: 't', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: missing }), new RegExp(`DynamoDB table "${missing}" does not exist at 127\\.0\\.0\\.1:8000 \\(to\\.dynamodb\\.t_main`)],
      [await e.addTask({ from_db_type: 'dynamodb', from_db: 'down', from_table: 'x', to_table: 't' }), /cannot reach DynamoDB at 127\.0\.0\.1:1 \(from\.dynamodb\.t_down/],
      [await e.addTask({ from_db_type: 'dynamodb', from_db: 'badkey', from_table: 'x', to_table: 't' }), /DynamoDB at 127\.0\.0\.1:8000 rejected the credentials of from\.dynamodb\.t_badkey \(task \d+\): UnrecognizedClientException/],
    ];
    for (const [id, pattern] of checks) {
      const run = await e.run(id);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr.split('\n').filter((l) => pattern.test(l))).toHaveLength(1);
    }
    // Wrong key schema: rows without the table's key attribute; entries into a table with a sort key.
    const other = await newTable('otherkey', [['user_id', 'N']]);
    await e.sql("INSERT INTO t VALUES (7, 'no user_id')");
    const noKey = await e.run(await e.addTask({ from_table: 't', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: other, params: { direct_copy: false } }));
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/the item with user_id=\(missing\) lacks key attribute user_id \(N\); attributes: id, body/);
    const composite = await newTable('composite', [['key', 'S'], ['n', 'N']]);
    const prefix = `gsddb:${randomUUID().slice(0, 8)}:`;
    const src = new Redis({ db: Number(SRC_DB) });
    try {
      await src.set(`${prefix}a`, 'x');
      const kv = await e.run(await e.addTask({ from_db_type: 'redis', to_db_type: 'dynamodb', from_db: SRC_DB, to_db: DDB_DB, from_table: `${prefix}*`, to_table: composite }));
      expect(kv.code).not.toBe(0);
      expect(kv.stderr).toMatch(new RegExp(`table "${composite}" \\(task \\d+\\) has key key, n: key-value entries need a table whose key is one partition key`));
    } finally {
      await deleteKeys(src, `${prefix}*`);
      src.disconnect();
    }
    await e.sql('DELETE FROM t');
    const table = await newTable('big', [['id', 'N']]);
    await e.sql("INSERT INTO t VALUES (1, 'small'), (42, REPEAT('x', 500000))");
    const big = await e.addTask({ from_table: 't', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: table, params: { pk: { src: 'id', dest: 'id' }, worker_num: 1, direct_copy: false } });
    const run = await e.run(big);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/the item with id=42 is 5000\d\d bytes, over DynamoDB's 400 KB item limit/);
  });

  test('an oversized item among others is a dirty record under params.error_limit: listed by goshift dirty, the rest is written', async () => {
    const e = await useEnv();
    await e.sql('CREATE TABLE src (id int PRIMARY KEY, body longtext NULL)');
    await e.sql("INSERT INTO src SELECT seq, IF(seq IN (42, 150), REPEAT('x', 500000), CONCAT('b', seq)) FROM seq_1_to_200");
    const table = await newTable('dirty', [['id', 'N']]);
    const params = { pk: { src: 'id', dest: 'id' }, worker_num: 2, read_batch: 50, write_batch: 50, shard_rows: 100, direct_copy: false, error_limit: { records: 5 } };
    const id = await e.addTask({ from_table: 'src', to_db_type: 'dynamodb', to_db: DDB_DB, to_table: table, params });

    const run = await e.run(id);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('2 dirty records refused by the target and skipped (within params.error_limit.records 5)');
    const items = await scanAll(client, table, 'id');
    expect(items.map((i) => Number((i.id as { N: string }).N))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => n !== 42 && n !== 150));
    expect(await e.lastRun(id)).toMatchObject({ status: 'success', rows_read: '200', rows_written: '198', rows_failed: '2', rows_dirty: '2' });
    const listed = await e.cli(['dirty', '-c', e.configDir, '-e', 'test', '-id', String(id), '--json']);
    expect(listed.code).toBe(0);
    const report = JSON.parse(listed.stdout) as { records: { key: number; reason: string; record: { body: string } }[] };
    expect(report.records.map((d) => d.key).sort((a, b) => a - b)).toEqual([42, 150]);
    for (const d of report.records) {
      expect(d.reason).toMatch(new RegExp(`^the item with id=${d.key} is 5000\\d\\d bytes, over DynamoDB's 400 KB item limit$`));
      expect(d.record.body).toBe('x'.repeat(500000));
    }
  });
});
