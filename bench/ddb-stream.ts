/**
 * DynamoDB Streams benchmark (section `ddb-stream`): stream records/s that `-mode stream` applies to
 * MySQL. goshift first follows an empty table (its scan done, the stream shard idle) and is stopped;
 * then `items` items are put and a third of them updated and a tenth deleted while it is down, a
 * backlog of stream records; goshift is started again and timed until the MySQL table mirrors the
 * DynamoDB table (row count and the sum of the `ver` counters). The figure includes goshift's start
 * (about 2 s, shown apart). Uses DynamoDB Local on 127.0.0.1:8000; removes the table and schemas it
 * creates.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, DeleteTableCommand, UpdateItemCommand, waitUntilTableExists, WriteRequest } from '@aws-sdk/client-dynamodb';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/paths';
import { DDB_ENDPOINT, ddbClient } from './s3dynamo-peers';

const DST = 'goshift_bench_dst';
const META = 'goshift_bench_dmeta';
/** Requests the loader keeps in flight. */
const LOAD_IN_FLIGHT = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `fn` over `items`, `limit` at once. */
async function each<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Start `goshift -mode stream` in the background; `stop()` sends SIGTERM and waits for exit 0. */
function follow(goshift: string[]): { child: ChildProcess; stop(): Promise<void>; stderr(): string } {
  const child = spawn(process.execPath, [...goshift, '-mode', 'stream'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  return {
    child,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`goshift -mode stream exited ${code}:\n${stderr}`);
    },
  };
}

/** Run the DynamoDB Streams -> MySQL benchmark and print its figures. */
export async function runDdbStreamBench(items: number, params: Record<string, unknown> = process.env.BENCH_PARAMS ? JSON.parse(process.env.BENCH_PARAMS) : {}): Promise<void> {
  const table = `goshift_bench_stream_${randomUUID().slice(0, 8)}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-'));
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  const ddb = ddbClient();
  const goshift = [path.join(packageRoot, 'bin', 'goshift'), '-c', configDir, '-e', 'bench', '-id', '1'];
  try {
    await ddb.send(new CreateTableCommand({
      TableName: table, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }));
    await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName: table });
    const my = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
    fs.writeFileSync(path.join(configDir, 'bench.json'), JSON.stringify({
      task_meta: { ...my, db: META }, log: { level: 'warn', dir: '' },
      from: { dynamodb: { bench_ddb: { endpoint: DDB_ENDPOINT, region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench' } } },
      to: { mysql: { [`bench_${DST}`]: { ...my, db: DST } } },
    }));
    for (const db of [DST, META]) await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${DST}`);
    await admin.query(`CREATE TABLE ${DST}.items (id bigint PRIMARY KEY, name varchar(64) NULL, amount decimal(20,4) NULL, ver bigint NULL)`);
    await admin.query(`CREATE DATABASE ${META}`);
    const init = spawn(process.execPath, [path.join(packageRoot, 'bin', 'goshift'), '-c', configDir, '-e', 'bench', 'init-db'], { stdio: 'ignore' });
    await new Promise((resolve) => init.on('exit', resolve));
    await admin.query(
      `INSERT INTO ${META}.task_def_sync_manager (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, task_desc)
       VALUES (1, 'bench', 'bench', 'dynamodb', 'mysql', 'ddb', ?, ?, 'items', ?, 'dynamodb stream benchmark')`,
      [DST, table, JSON.stringify({ worker_num: 2, ...params })],
    );

    // The scan of the empty table, then the stream followed: stopped once it is following.
    const warm = follow(goshift);
    for (let i = 0; i < 100 && !/events\/s/.test(warm.stderr()); i++) await sleep(200);
    await warm.stop();

    // The backlog while goshift is down: puts, then updates of a third, deletes of a tenth.
    const started = Date.now();
    const puts: WriteRequest[][] = [];
    for (let i = 0; i < items; i += 25) {
      puts.push(Array.from({ length: Math.min(25, items - i) }, (_, k) => ({ PutRequest: { Item: { id: { N: String(i + k + 1) }, name: { S: `item ${i + k + 1}` }, amount: { N: `${i + k}.2500` }, ver: { N: '1' } } } })));
    }
    const send = async (group: WriteRequest[]) => {
      let pending = group;
      while (pending.length) pending = (await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))).UnprocessedItems?.[table] ?? [];
    };
    await each(puts, LOAD_IN_FLIGHT, send);
    const updated = Array.from({ length: Math.floor(items / 3) }, (_, i) => 3 * i + 1);
    await each(updated, LOAD_IN_FLIGHT, async (id) => {
      await ddb.send(new UpdateItemCommand({ TableName: table, Key: { id: { N: String(id) } }, UpdateExpression: 'ADD ver :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    });
    const deleted: WriteRequest[][] = [];
    for (let i = 0; i < Math.floor(items / 10); i += 25) {
      deleted.push(Array.from({ length: Math.min(25, Math.floor(items / 10) - i) }, (_, k) => ({ DeleteRequest: { Key: { id: { N: String(10 * (i + k) + 2) } } } })));
    }
    await each(deleted, LOAD_IN_FLIGHT, send);
    const loadSeconds = (Date.now() - started) / 1000;
    const records = items + updated.length + Math.floor(items / 10);
    const rows = items - Math.floor(items / 10);
    const verSum = rows + updated.filter((id) => (id - 2) % 10 !== 0).length;

    // goshift again: timed until MySQL mirrors the table.
    const t0 = Date.now();
    const run = follow(goshift);
    let firstRow = 0;
    try {
      for (;;) {
        const [[r]] = (await admin.query(`SELECT COUNT(*) AS n, COALESCE(SUM(ver), 0) AS v FROM ${DST}.items`)) as unknown as [{ n: string; v: string }[]];
        if (!firstRow && Number(r.n) > 0) firstRow = Date.now();
        if (Number(r.n) === rows && Number(r.v) === verSum) break;
        if (Date.now() - t0 > 600_000) throw new Error(`not caught up after 600 s: ${r.n} rows (want ${rows}), ver sum ${r.v} (want ${verSum})\n${run.stderr()}`);
        await sleep(100);
      }
    } finally {
      await run.stop();
    }
    const seconds = (Date.now() - t0) / 1000;
    const applying = (Date.now() - t0 - (firstRow - t0)) / 1000;
    process.stdout.write(`\nDynamoDB Streams -> MySQL (-mode stream), a backlog of ${records} stream records (${items} puts, ${updated.length} updates, ${Math.floor(items / 10)} deletes), params ${JSON.stringify({ worker_num: 2, ...params })}\n`);
    process.stdout.write(`  loading the backlog into DynamoDB Local: ${loadSeconds.toFixed(1)} s (${Math.round(records / loadSeconds)} changes/s)\n`);
    process.stdout.write(`  goshift start to caught up: ${seconds.toFixed(1)} s = ${Math.round(records / seconds)} records/s (first row after ${((firstRow - t0) / 1000).toFixed(1)} s; ${Math.round(records / applying)} records/s from then)\n`);
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    ddb.destroy();
    for (const db of [DST, META]) await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await admin.end();
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}
