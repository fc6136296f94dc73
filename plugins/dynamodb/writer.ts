import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableExists, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Batch, KvEntry, PluginContext, Shard, WriterFactory } from '../../src/sdk';
import { encodeEnvelope, RejectedError, TaskError, WriteError, WriterSessionBase } from '../../src/sdk';
import { createClient, describeFailure, dynamodbWriteModes, isMissingTable, requestSignal } from './config';
import { describeTable } from './table';
import { ENVELOPE_ATTRIBUTE, Item, itemSize, keyText, KeySchema, MAX_ITEM_BYTES, NATIVE_ITEM, rowToItem } from './values';

/** Items per BatchWriteItem request (DynamoDB's limit). */
const GROUP = 25;
/** BatchWriteItem requests (or conditional puts, / 25) in flight per write call. */
export const IN_FLIGHT = 4;
/** DynamoDB's largest partition key value, in bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;
/** DynamoDB's largest sort key value, in bytes. */
const MAX_SORT_KEY_BYTES = 1024;
/** A number DynamoDB takes (at most 38 significant digits is left to the server). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Attempts for items DynamoDB returns as unprocessed before the write fails. */
const UNPROCESSED_ATTEMPTS = 12;

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => {
    clearTimeout(t);
    signal.removeEventListener('abort', done);
    resolve();
  };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

/** Exponential backoff with full jitter: 0..min(5 s, 50 ms * 2^attempt). */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(5000, 50 * 2 ** attempt);
}

/** Run `fn` on every element, at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * Writes items with BatchWriteItem, 25 per request, a few requests in flight; `UnprocessedItems`
 * are sent again with exponential backoff and jitter. `write_mode` skip_existing writes each item
 * with a conditional PutItem instead and counts only the items it created. An item DynamoDB would
 * refuse (no key, a bad key, over 400 KB) is found before anything of the batch is sent and
 * rejected with `RejectedError`, so `params.error_limit` can skip it as a dirty record.
 * Deletes (a change feed's) go as DeleteRequests the same way.
 */
export class DynamodbWriter extends WriterSessionBase {
  protected readonly description = 'dynamodb writer session';
  private readonly table: string;
  private readonly skipExisting: boolean;

  constructor(private readonly client: DynamoDBClient, private readonly keys: KeySchema, private readonly ctx: PluginContext) {
    super();
    this.table = ctx.task.to_table;
    this.skipExisting = ctx.params.write_mode === 'skip_existing';
  }

  async write(batch: Batch, shard: Shard): Promise<number> {
    this.assertOpen();
    // Every item is built and checked before anything is sent: a refused one leaves the batch unwritten.
    const items = batch.records.map((r) => this.itemOf(r, batch.kind ?? 'row'));
    for (const item of items) this.check(item);
    const signal = requestSignal(this.ctx.signal);
    try {
      return this.skipExisting ? await this.putNew(items, signal) : await this.putAll(items, signal);
    } catch (err) {
      if (err instanceof WriteError) throw err;
      const message = `writing ${items.length} items of shard ${shard.id}: ${describeFailure(err, this.ctx, 'to', this.table)}`;
      // One BatchWriteItem request is refused whole when DynamoDB finds an item invalid.
      if (!this.skipExisting && this.groups(items).length === 1 && (err as { name?: string }).name === 'ValidationException') {
        throw new RejectedError(message, { cause: err, reason: `DynamoDB: ${(err as Error).message}` });
      }
      throw new WriteError(message, { cause: err });
    }
  }

  /**
   * Delete the records' items by key (BatchWriteItem DeleteRequests, 25 per request); an item
   * that is not there is no error. Resolves to the number of records handled.
   */
  async delete(batch: Batch, shard: Shard): Promise<number> {
    this.assertOpen();
    const keys = batch.records.map((r) => this.keyItem(this.itemOf(r, batch.kind ?? 'row')));
    const signal = requestSignal(this.ctx.signal);
    try {
      const groups = this.groups(keys);
      const serial = groups.length > Math.ceil(keys.length / GROUP);
      await eachLimited(groups, serial ? 1 : IN_FLIGHT, (g) => this.sendGroup(g.map((Key) => ({ DeleteRequest: { Key } })), signal));
      return keys.length;
    } catch (err) {
      if (err instanceof WriteError) throw err;
      throw new WriteError(`deleting ${keys.length} items of shard ${shard.id}: ${describeFailure(err, this.ctx, 'to', this.table)}`, { cause: err });
    }
  }

  /** The key attributes of an item, checked like a written item's. */
  private keyItem(item: Item): Item {
    const key: Item = {};
    for (const k of this.keys) if (item[k.name] !== undefined) key[k.name] = item[k.name];
    this.check(key);
    return key;
  }

  /** A record DynamoDB would refuse (checked before sending): `RejectedError` naming the table and the reason. */
  private refuse(reason: string): RejectedError {
    return new RejectedError(`table "${this.table}" (task ${this.ctx.task.id}): ${reason}`, { reason });
  }

  /** The item of one record: a row's columns, an entry's envelope under its key, or (peerNative) the item itself. */
  private itemOf(record: Record<string, unknown>, kind: string): Item {
    if (kind === 'entry') {
      const entry = record as unknown as KvEntry;
      const [pk, ...rest] = this.keys;
      if (!pk || rest.length > 0) throw new WriteError(`table "${this.table}" (task ${this.ctx.task.id}) has key ${this.keys.map((k) => k.name).join(', ')}: key-value entries need a table whose key is one partition key (S or B) holding the entry's key`);
      let envelope: string;
      try {
        envelope = encodeEnvelope(entry);
      } catch (err) {
        throw new WriteError(`table "${this.table}" (task ${this.ctx.task.id}): ${(err as Error).message}`, { cause: err });
      }
      if (pk.type === 'N') throw new WriteError(`table "${this.table}" (task ${this.ctx.task.id}): its partition key ${pk.name} is a number, entries need S or B`);
      if (pk.type === 'S' && !Buffer.from(entry.key.toString('utf8'), 'utf8').equals(entry.key)) {
        throw this.refuse(`key ${JSON.stringify(entry.key.toString('base64'))} (base64) is not UTF-8 text and the partition key ${pk.name} is a string; use a table with a binary (B) partition key`);
      }
      return { [pk.name]: pk.type === 'B' ? { B: entry.key } : { S: entry.key.toString('utf8') }, [ENVELOPE_ATTRIBUTE]: { S: envelope } };
    }
    const native = record[NATIVE_ITEM];
    if (native !== undefined) return native as Item;
    return rowToItem(record, this.keys);
  }

  /**
   * Refuse (RejectedError, naming its key) an item DynamoDB would refuse: without its key
   * attributes, a number key that is not a number, a key value over DynamoDB's key size
   * (partition 2048 bytes, sort 1024 bytes), or over 400 KB.
   */
  private check(item: Item): void {
    const missing = this.keys.filter((k) => {
      const v = item[k.name];
      return v === undefined || v.NULL !== undefined || v[k.type] === undefined || (k.type !== 'B' && v[k.type] === '') || (k.type === 'B' && (v.B?.byteLength ?? 0) === 0);
    });
    if (missing.length) throw this.refuse(`the item with ${keyText(item, this.keys)} lacks key attribute${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k.name} (${k.type})`).join(', ')}; attributes: ${Object.keys(item).slice(0, 12).join(', ')}`);
    this.keys.forEach((k, i) => {
      const v = item[k.name]!;
      if (k.type === 'N' && !NUMBER.test(v.N!)) throw this.refuse(`the item's key attribute ${k.name} (N) is not a number: ${JSON.stringify(v.N!.slice(0, 100))}`);
      const bytes = k.type === 'B' ? v.B!.byteLength : Buffer.byteLength(v[k.type] as string, 'utf8');
      const most = i === 0 ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES;
      if (bytes > most) throw this.refuse(`the item's key attribute ${k.name} is ${bytes} bytes, over DynamoDB's ${most}-byte limit for a ${i === 0 ? 'partition' : 'sort'} key`);
    });
    const size = itemSize(item);
    if (size > MAX_ITEM_BYTES) throw this.refuse(`the item with ${keyText(item, this.keys)} is ${size} bytes, over DynamoDB's 400 KB item limit`);
  }

  /** The key of an item as one string, to keep two writes of a key out of one request. */
  private keyOf(item: Item): string {
    return JSON.stringify(this.keys.map((k) => item[k.name]));
  }

  /** Groups of at most 25 items, a key at most once per group (a later write of a key goes to a later group). */
  private groups(items: Item[]): Item[][] {
    const out: Item[][] = [];
    let group: Item[] = [];
    let seen = new Set<string>();
    for (const item of items) {
      const k = this.keyOf(item);
      if (group.length === GROUP || seen.has(k)) {
        out.push(group);
        group = [];
        seen = new Set();
      }
      group.push(item);
      seen.add(k);
    }
    if (group.length) out.push(group);
    return out;
  }

  private async putAll(items: Item[], signal: AbortSignal): Promise<number> {
    const groups = this.groups(items);
    // Groups holding the same key run in order: only groups split by a repeated key are serial.
    const serial = groups.length > Math.ceil(items.length / GROUP);
    await eachLimited(groups, serial ? 1 : IN_FLIGHT, (g) => this.putGroup(g, signal));
    return items.length;
  }

  private async putGroup(group: Item[], signal: AbortSignal): Promise<void> {
    await this.sendGroup(group.map((Item) => ({ PutRequest: { Item } })), signal);
  }

  /** One BatchWriteItem of at most 25 requests, unprocessed ones sent again with backoff. */
  private async sendGroup(requests: WriteRequest[], signal: AbortSignal): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt >= UNPROCESSED_ATTEMPTS) {
          const keys = pending.slice(0, 3).map((r) => keyText((r.PutRequest?.Item ?? r.DeleteRequest?.Key) as Item, this.keys)).join('; ');
          const cause = Object.assign(new Error(`${pending.length} items unprocessed`), { name: 'UnprocessedItemsError' });
          throw new WriteError(`table "${this.table}" (task ${this.ctx.task.id}): ${pending.length} items still unprocessed after ${UNPROCESSED_ATTEMPTS} BatchWriteItem attempts (throttled; raise the table's write capacity or lower worker_num), e.g. ${keys}`, { cause });
        }
        await sleep(backoffMs(attempt), signal);
      }
      const res = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }), { abortSignal: signal });
      pending = res.UnprocessedItems?.[this.table] ?? [];
    }
  }

  private async putNew(items: Item[], signal: AbortSignal): Promise<number> {
    let written = 0;
    const condition = `attribute_not_exists(#k)`;
    await eachLimited(items, IN_FLIGHT * 4, async (Item) => {
      try {
        await this.client.send(new PutItemCommand({ TableName: this.table, Item, ConditionExpression: condition, ExpressionAttributeNames: { '#k': this.keys[0].name } }), { abortSignal: signal });
        written++;
      } catch (err) {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      }
    });
    return written;
  }

  protected async release(): Promise<void> {
    this.client.destroy();
  }
}

function checkWriteMode(ctx: PluginContext): void {
  const mode = ctx.params.write_mode;
  if (mode && !(dynamodbWriteModes as readonly string[]).includes(mode)) throw new TaskError(`task ${ctx.task.id}: params.write_mode must be one of ${dynamodbWriteModes.map((m) => `"${m}"`).join(', ')} for a dynamodb target, got "${mode}"`);
}

/** The DynamoDB key type of a source column type: numbers N, bytes B, anything else S. */
export function keyTypeOf(sourceType: string): 'S' | 'N' | 'B' {
  const t = sourceType.toLowerCase();
  if (/^(tiny|small|medium|big)?int|^integer|^dec|^numeric|^float|^double|^real|^year/.test(t)) return 'N';
  if (/binary|blob|^bit/.test(t)) return 'B';
  return 'S';
}

/** DynamoDB writer: key attributes from DescribeTable, BatchWriteItem or conditional puts, deletes by key. */
export const dynamodbWriter: WriterFactory = {
  deletes: true,
  async createTarget(ctx, shape, { dryRun }) {
    const table = ctx.task.to_table;
    const client = createClient(ctx);
    try {
      try {
        await client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: ctx.signal });
        return undefined;
      } catch (err) {
        if (!isMissingTable(err)) throw new WriteError(describeFailure(err, ctx, 'to', table), { cause: err });
      }
      if (shape.key.length < 1 || shape.key.length > 2) throw new TaskError(`task ${ctx.task.id}: params.create_target: a DynamoDB table needs a key of one or two columns, the source's key is ${shape.key.length ? shape.key.join(', ') : 'empty'}`);
      const keys = shape.key.map((name) => ({ name, type: keyTypeOf(shape.columns.find((c) => c.name === name)?.type ?? '') }));
      const statement = `CreateTable ${table} (${keys.map((k, i) => `${k.name} ${k.type} ${i === 0 ? 'HASH' : 'RANGE'}`).join(', ')}) PAY_PER_REQUEST`;
      if (dryRun) return statement;
      try {
        await client.send(new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
          KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        }), { abortSignal: ctx.signal });
        await waitUntilTableExists({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 5, abortSignal: ctx.signal }, { TableName: table });
      } catch (err) {
        throw new WriteError(`params.create_target: ${describeFailure(err, ctx, 'to', table)}`, { cause: err });
      }
      return statement;
    } finally {
      client.destroy();
    }
  },
  async validate(ctx) {
    checkWriteMode(ctx);
    const client = createClient(ctx);
    try {
      await describeTable(client, ctx, 'to', ctx.task.to_table, (m, cause) => new WriteError(m, { cause }));
    } finally {
      client.destroy();
    }
  },
  async open(ctx) {
    checkWriteMode(ctx);
    const client = createClient(ctx);
    try {
      const { keys } = await describeTable(client, ctx, 'to', ctx.task.to_table, (m, cause) => new WriteError(m, { cause }));
      return new DynamodbWriter(client, keys, ctx);
    } catch (err) {
      client.destroy();
      throw err;
    }
  },
};
