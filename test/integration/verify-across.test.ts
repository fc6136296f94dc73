/**
 * `goshift verify` between different stores and for s3 / dynamodb / file (key sets plus record
 * hashes, src/verify/): mysql -> dynamodb, redis -> s3 (envelope objects), mysql -> file (ndjson)
 * and s3 -> s3. Each: a copy verifies clean; one changed, one missing and one extra record are
 * named exactly (exit 9); --repair (--delete-extra) fixes exactly those.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';
import { createTable, DDB_DB, ddbClient, dynamodbEntry, deleteTable, plainItem, putItems, tableName } from '../support/fixtures/dynamodb';
import { makeBaseDir } from '../support/fixtures/file';
import { dropBucket, getObject, listKeys, makeBucket, putObject, putObjects, s3Entry, s3TestClient } from '../support/fixtures/s3';
import { batching, seedMysqlSource } from '../support/fixtures/shared';

interface JsonReport {
  unit: string;
  checked: number;
  equal: number;
  sourceRows: number;
  targetRows: number;
  missing: string[];
  extra: string[];
  different: string[];
  repair?: { copied: number; deleted: number; rechecked: number; stillDiffering: string[] };
  notes?: string[];
  ok: boolean;
  seconds: number;
}

let env: GoshiftTestEnv;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await env.cleanup();
});

const verify = async (id: number, more: string[] = []) => {
  const res = await env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id), '--json', ...more]);
  let report: JsonReport | undefined;
  try {
    report = JSON.parse(res.stdout) as JsonReport;
  } catch {
    throw new Error(`verify printed no JSON report (exit ${res.code}): ${res.stderr}${res.stdout}`);
  }
  return { ...res, report };
};

/** Run, verify clean, and time both (the figure of the report). */
async function copyAndVerifyClean(id: number, count: number, what: string): Promise<void> {
  const t0 = Date.now();
  const run = await env.run(id);
  const copyMs = Date.now() - t0;
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.code).toBe(0);
  const t1 = Date.now();
  const clean = await verify(id);
  const verifyMs = Date.now() - t1;
  expect(clean.stderr).toBe('');
  expect(clean.code).toBe(0);
  expect(clean.report).toMatchObject({ unit: 'keys', ok: true, checked: count, equal: count, sourceRows: count, targetRows: count, missing: [], extra: [], different: [] });
  process.stdout.write(`figure ${what}: ${count} records, copy ${copyMs} ms, verify ${verifyMs} ms (wall, CLI start included)\n`);
}

/** The three differences are named exactly, exit 9; --repair --delete-extra fixes exactly those. */
async function expectFoundAndRepaired(id: number, count: number, diff: { missing: string; extra: string; different: string }): Promise<void> {
  const bad = await verify(id);
  expect(bad.code).toBe(9);
  expect(bad.stderr).toContain('the target differs from the source (1 missing, 1 extra, 1 different)');
  expect(bad.report).toMatchObject({ ok: false, missing: [diff.missing], extra: [diff.extra], different: [diff.different], sourceRows: count, targetRows: count, equal: count - 2 });
  const fixed = await verify(id, ['--repair', '--delete-extra']);
  expect(fixed.stderr).toBe('');
  expect(fixed.report.repair).toEqual({ copied: 2, deleted: 1, rechecked: 3, stillDiffering: [] });
  expect(fixed.code).toBe(0);
  const again = await verify(id);
  expect(again.code).toBe(0);
  expect(again.report).toMatchObject({ ok: true, equal: count, targetRows: count });
}

test('mysql -> dynamodb: rows as items (decimal text, binary, NULL)', async () => {
  const count = 2000;
  await seedMysqlSource(env, count);
  const ddb = ddbClient();
  const table = tableName('vdst');
  await createTable(ddb, table, [['id', 'N']]);
  cleanups.push(async () => {
    await deleteTable(ddb, table);
    ddb.destroy();
  });
  env.writeConfig({ to: { dynamodb: { [`${env.app}_${DDB_DB}`]: dynamodbEntry } } });
  const id = await env.addTask({ to_db_type: 'dynamodb', to_db: DDB_DB, from_table: 'src', to_table: table, params: { ...batching, pk: { src: 'id', dest: 'id' } } });
  await copyAndVerifyClean(id, count, 'mysql -> dynamodb');

  await ddb.send(new UpdateItemCommand({ TableName: table, Key: { id: { N: '30' } }, UpdateExpression: 'SET #n = :v', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':v': { S: 'changed' } } }));
  await ddb.send(new DeleteItemCommand({ TableName: table, Key: { id: { N: '60' } } }));
  await ddb.send(new PutItemCommand({ TableName: table, Item: { id: { N: '999999' }, name: { S: 'extra' } } }));
  await expectFoundAndRepaired(id, count, { missing: '60', extra: '999999', different: '30' });
});

test('redis -> s3: entries as envelope objects compare through the key-value codec', async () => {
  const prefix = `gsva:${randomUUID().slice(0, 8)}:`;
  const r = new Redis({ db: 13 });
  const s3 = s3TestClient();
  const bucket = await makeBucket(s3);
  cleanups.push(async () => {
    await deleteKeys(r, `${prefix}*`);
    r.disconnect();
    await dropBucket(s3, bucket);
    s3.destroy();
  });
  const p = r.pipeline();
  for (let i = 0; i < 300; i++) p.set(`${prefix}s:${i}`, `v${i}`);
  p.hset(`${prefix}h`, { a: '1', b: '2', c: '3' });
  p.sadd(`${prefix}set`, 'm1', 'm2', 'm3', 'm4');
  p.set(`${prefix}ttl`, 'short', 'EX', 600);
  await p.exec();
  const count = 303;
  env.writeConfig({ from: { redis: { [`${env.app}_13`]: { host: '127.0.0.1', port: 6379 } } }, to: { s3: { [`${env.app}_archive`]: { ...s3Entry, bucket } } } });
  const id = await env.addTask({ from_db_type: 'redis', to_db_type: 's3', from_db: '13', to_db: 'archive', from_table: `${prefix}*`, to_table: 'keys/', params: batching });
  await copyAndVerifyClean(id, count, 'redis -> s3');

  // A changed value in the target's envelope, a deleted object, an object the source does not have.
  const hKey = `keys/${prefix}h`;
  const doc = JSON.parse((await getObject(s3, bucket, hKey)).body.toString('utf8'));
  doc.value = doc.value.map((pair: [string, string]) => (pair[0] === 'b' ? ['b', 'changed'] : pair));
  await putObject(s3, bucket, hKey, JSON.stringify(doc), { 'goshift-envelope': '1' });
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `keys/${prefix}s:7` }));
  await putObject(s3, bucket, `keys/${prefix}extra`, 'not from redis');
  await expectFoundAndRepaired(id, count, { missing: `${prefix}s:7`, extra: `${prefix}extra`, different: `${prefix}h` });
  expect(JSON.parse((await getObject(s3, bucket, hKey)).body.toString('utf8')).value).toContainEqual(['b', '2']);
  expect(await listKeys(s3, bucket, `keys/${prefix}extra`)).toEqual([]);
});

test('mysql -> file (ndjson): the file is written anew with exactly those records fixed', async () => {
  const count = 1500;
  await seedMysqlSource(env, count);
  const dir = makeBaseDir();
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  env.writeConfig({ to: { file: { [`${env.app}_files`]: { dir } } } });
  const id = await env.addTask({ to_db_type: 'file', to_db: 'files', from_table: 'src', to_table: 'out/src.ndjson', params: { ...batching, pk: { src: 'id' } } });
  await copyAndVerifyClean(id, count, 'mysql -> file');

  const file = path.join(dir, 'out', 'src.ndjson');
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const edited = lines
    .filter((l) => JSON.parse(l).id !== '60' && JSON.parse(l).id !== 60)
    .map((l) => {
      const row = JSON.parse(l);
      return String(row.id) === '30' ? JSON.stringify({ ...row, note: 'changed' }) : l;
    });
  edited.push(JSON.stringify({ id: '999999', name: 'extra', amount: null, raw: null, note: null }));
  fs.writeFileSync(file, `${edited.join('\n')}\n`);
  await expectFoundAndRepaired(id, count, { missing: '60', extra: '999999', different: '30' });
  const after = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  expect(after).toHaveLength(count);
  expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['src.ndjson']);
});

test('s3 -> s3: objects by key, body and metadata; --repair without --delete-extra keeps the extra object and says so', async () => {
  const s3 = s3TestClient();
  const [from, to] = [await makeBucket(s3), await makeBucket(s3)];
  cleanups.push(async () => {
    await dropBucket(s3, from);
    await dropBucket(s3, to);
    s3.destroy();
  });
  const count = 250;
  await putObjects(s3, from, Array.from({ length: count }, (_, i) => ({ key: `docs/d${i}.txt`, body: i % 10 === 0 ? Buffer.from([0xff, 0, i]) : `document ${i}`, metadata: { n: String(i) } })));
  env.writeConfig({ from: { s3: { [`${env.app}_src`]: { ...s3Entry, bucket: from } } }, to: { s3: { [`${env.app}_dst`]: { ...s3Entry, bucket: to } } } });
  const id = await env.addTask({ from_db_type: 's3', to_db_type: 's3', from_db: 'src', to_db: 'dst', from_table: 'docs/', to_table: 'copy/', params: batching });
  await copyAndVerifyClean(id, count, 's3 -> s3');

  await putObject(s3, to, 'copy/d5.txt', 'document 5', { n: '6' });
  await s3.send(new DeleteObjectCommand({ Bucket: to, Key: 'copy/d20.txt' }));
  await putObject(s3, to, 'copy/stray.txt', 'stray');
  const bad = await verify(id);
  expect(bad.code).toBe(9);
  expect(bad.report).toMatchObject({ missing: ['d20.txt'], extra: ['stray.txt'], different: ['d5.txt'] });
  const kept = await verify(id, ['--repair']);
  expect(kept.code).toBe(9);
  expect(kept.report.repair).toEqual({ copied: 2, deleted: 0, rechecked: 3, stillDiffering: ['stray.txt'] });
  expect(kept.stderr).toContain('extra target rows are deleted only with --delete-extra');
  expect((await getObject(s3, to, 'copy/d5.txt')).metadata).toMatchObject({ n: '5' });
  await expectFoundAndRepairedExtraOnly(id);
});

test('dynamodb -> dynamodb: differences are named; native items are not repaired in portable form (a note says so)', async () => {
  const count = 400;
  const ddb = ddbClient();
  const [src, dst] = [tableName('vsrc'), tableName('vdst')];
  await createTable(ddb, src, [['id', 'N']]);
  await createTable(ddb, dst, [['id', 'N']]);
  cleanups.push(async () => {
    await deleteTable(ddb, src);
    await deleteTable(ddb, dst);
    ddb.destroy();
  });
  await putItems(ddb, src, Array.from({ length: count }, (_, n) => plainItem(n + 1)));
  env.writeConfig({ from: { dynamodb: { [`${env.app}_${DDB_DB}`]: dynamodbEntry } }, to: { dynamodb: { [`${env.app}_${DDB_DB}`]: dynamodbEntry } } });
  const id = await env.addTask({ from_db_type: 'dynamodb', to_db_type: 'dynamodb', from_db: DDB_DB, to_db: DDB_DB, from_table: src, to_table: dst, params: { ...batching, pk: { src: 'id' } } });
  await copyAndVerifyClean(id, count, 'dynamodb -> dynamodb');

  await ddb.send(new PutItemCommand({ TableName: dst, Item: { ...plainItem(30), amount: { N: '1' } } }));
  await ddb.send(new DeleteItemCommand({ TableName: dst, Key: { id: { N: '60' } } }));
  await ddb.send(new PutItemCommand({ TableName: dst, Item: plainItem(999999) }));
  const bad = await verify(id);
  expect(bad.code).toBe(9);
  expect(bad.report).toMatchObject({ missing: ['60'], extra: ['999999'], different: ['30'], sourceRows: count, targetRows: count });
  const refused = await verify(id, ['--repair']);
  expect(refused.code).toBe(9);
  expect(refused.report.repair).toMatchObject({ copied: 0, deleted: 0 });
  expect(refused.report.notes?.[0]).toContain('copies native records');
});

/** After a repair that kept the extra object: --delete-extra removes just it. */
async function expectFoundAndRepairedExtraOnly(id: number): Promise<void> {
  const fixed = await verify(id, ['--repair', '--delete-extra']);
  expect(fixed.report.repair).toEqual({ copied: 0, deleted: 1, rechecked: 1, stillDiffering: [] });
  expect(fixed.code).toBe(0);
}
