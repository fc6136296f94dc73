/**
 * The plain SDK scripts goshift's S3 / DynamoDB benchmark compares against, each its own process,
 * written the way a user would write them with the AWS SDK v3, `mysql2` and `ioredis`:
 *   node dist/bench/s3dynamo-peers.js ddb-write <inFlight> <mysqlDb> <table>   mysql orders -> BatchWriteItem of 25
 *   node dist/bench/s3dynamo-peers.js ddb-scan  <segments> <table> <mysqlDb>   Scan pages -> multi-row INSERT
 *   node dist/bench/s3dynamo-peers.js s3-put    <inFlight> <redisPort> <bucket> <prefix>   SCAN + MGET -> PutObject
 *   node dist/bench/s3dynamo-peers.js s3-get    <inFlight> <bucket> <prefix> <redisPort>   ListObjectsV2 -> GetObject -> SET
 * `inFlight` 1 is the sequential script (one request at a time); a larger value keeps that many
 * requests in flight from one shared queue.
 */
import { BatchWriteItemCommand, DynamoDBClient, ScanCommand, WriteRequest } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const DDB_ENDPOINT = 'http://127.0.0.1:8000';
export const S3_ENDPOINT = 'http://127.0.0.1:4569';

export function ddbClient(): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint: DDB_ENDPOINT, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
}

export function s3Client(): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
}

/** Run `fn` on every item `source` yields, `inFlight` at a time (items are pulled only as workers free up). */
async function pool<T>(source: AsyncIterator<T>, inFlight: number, fn: (item: T) => Promise<void>): Promise<void> {
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => source.next());
    pulling = p.catch(() => undefined);
    return p;
  };
  const worker = async (): Promise<void> => {
    for (let r = await next(); !r.done; r = await next()) await fn(r.value);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function ddbWrite(inFlight: number, db: string, table: string): Promise<void> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: db, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  const ddb = ddbClient();
  async function* chunks(): AsyncGenerator<WriteRequest[]> {
    let after = '0';
    for (;;) {
      const [rows] = await conn.query(`SELECT * FROM orders WHERE id > ? ORDER BY id LIMIT 5000`, [after]);
      const page = rows as Record<string, unknown>[];
      if (page.length === 0) return;
      after = String(page[page.length - 1].id);
      for (let i = 0; i < page.length; i += 25) {
        yield page.slice(i, i + 25).map((row) => ({
          PutRequest: { Item: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'id' ? { N: String(v) } : { S: String(v) }])) },
        }));
      }
    }
  }
  await pool(chunks(), inFlight, async (requests) => {
    let pending: WriteRequest[] = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem: items still unprocessed after 10 retries');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  });
  ddb.destroy();
  await conn.end();
}

async function ddbScan(segments: number, table: string, db: string): Promise<void> {
  const ddb = ddbClient();
  const cols = ['id', 'customer_id', 'status', 'amount', 'currency', 'note', 'created_at', 'updated_at'];
  await Promise.all(Array.from({ length: segments }, async (_, segment) => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: db });
    let start: Record<string, never> | undefined;
    do {
      const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}) }));
      const rows = (page.Items ?? []).map((item) => cols.map((c) => item[c]?.N ?? item[c]?.S ?? null));
      if (rows.length > 0) await conn.query(`INSERT INTO orders (${cols.join(', ')}) VALUES ?`, [rows]);
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    await conn.end();
  }));
  ddb.destroy();
}

async function s3Put(inFlight: number, port: number, bucket: string, prefix: string): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port });
  const s3 = s3Client();
  async function* entries(): AsyncGenerator<[string, Buffer]> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 1000);
      cursor = next.toString();
      if (keys.length === 0) continue;
      const values = await redis.mgetBuffer(keys);
      for (let i = 0; i < keys.length; i++) if (values[i] !== null) yield [keys[i].toString(), values[i] as Buffer];
    } while (cursor !== '0');
  }
  await pool(entries(), inFlight, async ([key, value]) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: value }));
  });
  s3.destroy();
  redis.disconnect();
}

async function s3Get(inFlight: number, bucket: string, prefix: string, port: number): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port });
  const s3 = s3Client();
  async function* keys(): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.NextContinuationToken;
    } while (token);
  }
  await pool(keys(), inFlight, async (key) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await out.Body!.transformToByteArray());
    await redis.set(key.slice(prefix.length), body);
  });
  s3.destroy();
  redis.disconnect();
}

async function main(): Promise<void> {
  const [op, n, a, b, c] = process.argv.slice(2);
  const inFlight = Number(n);
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new Error(`in-flight count must be a positive integer, got "${n}"`);
  if (op === 'ddb-write') await ddbWrite(inFlight, a, b);
  else if (op === 'ddb-scan') await ddbScan(inFlight, a, b);
  else if (op === 's3-put') await s3Put(inFlight, Number(a), b, c);
  else if (op === 's3-get') await s3Get(inFlight, a, b, Number(c));
  else throw new Error(`unknown operation "${op}"`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
