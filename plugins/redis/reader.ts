import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Batch, PluginContext, ReaderFactory, ReaderSession, ReadOptions, Shard, SyncRecord } from '../../src/contract';
import { ReadError, TaskError } from '../../src/errors';
import { RedisParams, redisParams } from './config';
import { openRedis, RedisHandle } from './client';
import { KeyTemplate, RedisToRow } from './mapping';
import { RedisRecord, sizeOf, toGenericValue } from './records';
import { sendRaw } from './resp';
import { claimScript, recoverScript, ttlScript, valueScript } from './scripts';
import { keySlot, sameSlotKey } from './slot';
import { cursorSegments, CursorSegment, SegmentWalker, slotSegments, SlotSegment } from './split';

/** A segment is only worth a shard when it holds at least this many keys. */
const MIN_KEYS_PER_SEGMENT = 1000;

/** Shard spec of a scan shard. */
interface ScanSpec {
  kind: 'scan';
  /** host:port of the server or Cluster master. */
  node: string;
  /** The node's run_id at planning: cursor positions only mean something on that very process. */
  runId: string;
  segment: CursorSegment | SlotSegment;
}

/** Shard spec of a dirty-set shard: claim up to `limit` keys. */
interface DirtySpec {
  kind: 'dirty';
  limit: number;
}

/** The key pattern of a task: from_table, else the key template's pattern, else everything. */
export function keyPattern(ctx: PluginContext): string {
  const t = (ctx.task.from_table ?? '').trim();
  if (t) return t;
  const p = redisParams(ctx);
  if (p.key_template && ctx.peerType !== 'redis') return new KeyTemplate(p.key_template).matchPattern();
  return '*';
}

/** Names of the dirty set and its processing set. */
export function dirtySets(ctx: PluginContext): { dirty: string; processing: string } {
  const p = redisParams(ctx);
  const dirty = p.dirty_set || (ctx.task.from_table ?? '').trim();
  if (!dirty) throw new TaskError(`task ${ctx.task.id}: params.mode "dirty_set" needs params.dirty_set (or from_table) naming the set`);
  const processing = p.dirty_processing_set || sameSlotKey(dirty, ':processing').toString();
  return { dirty, processing };
}

async function runId(client: Redis): Promise<string> {
  return /^run_id:(\w+)/m.exec(String(await client.info('server')))?.[1] ?? '';
}

function dbKeys(keyspace: string, db: number): { keys: number; expires: number } {
  const m = new RegExp(`^db${db}:keys=(\\d+),expires=(\\d+)`, 'm').exec(keyspace);
  return m ? { keys: Number(m[1]), expires: Number(m[2]) } : { keys: 0, expires: 0 };
}

/** Reads Redis: every key of a pattern in parallel cursor segments, or the keys of a dirty set. */
export class RedisReader implements ReaderFactory {
  async validate(ctx: PluginContext): Promise<void> {
    const p = redisParams(ctx);
    if (p.mode === 'dirty_set') dirtySets(ctx);
    if (p.key_template && !new KeyTemplate(p.key_template).columns.length) {
      throw new TaskError(`task ${ctx.task.id}: params.key_template "${p.key_template}" has no {column} placeholder`);
    }
    const handle = await openRedis(ctx, 'source');
    await handle.close();
  }

  /** dirty_set mode: keys a crashed run left in the processing set go back into the dirty set. */
  async prepare(ctx: PluginContext): Promise<Record<string, unknown>> {
    if (redisParams(ctx).mode !== 'dirty_set') return {};
    const { dirty, processing } = dirtySets(ctx);
    const handle = await openRedis(ctx, 'source');
    try {
      const node = handle.nodeForKey(dirty);
      const n = Number(await recoverScript.run(node, handle.info.major, 2, [dirty, processing]));
      if (n > 0) ctx.logger.warn(`redis dirty set ${dirty}: ${n} key(s) left in ${processing} by an earlier run are retried`);
      return {};
    } catch (err) {
      throw handle.wrap(err, `recovering ${processing}`);
    } finally {
      await handle.close();
    }
  }

  async plan(ctx: PluginContext): Promise<Shard[]> {
    const p = redisParams(ctx);
    const handle = await openRedis(ctx, 'source');
    try {
      return p.mode === 'dirty_set' ? await this.planDirty(ctx, handle) : await this.planScan(ctx, handle);
    } finally {
      await handle.close();
    }
  }

  private async planScan(ctx: PluginContext, handle: RedisHandle): Promise<Shard[]> {
    const pattern = keyPattern(ctx);
    const exact = pattern === '*' && redisParams(ctx).key_prefixes.length === 0 && redisParams(ctx).types.length === 0;
    const shards: Shard[] = [];
    const masters = handle.masters();
    for (const { address, client } of masters) {
      let size: number;
      let id: string;
      try {
        size = Number(await client.dbsize());
        id = await runId(client);
      } catch (err) {
        throw handle.wrap(err, `DBSIZE on ${address}`);
      }
      if (size === 0) continue;
      const want = Math.max(1, Math.min(ctx.params.worker_num, Math.floor(size / MIN_KEYS_PER_SEGMENT)));
      let segments: (CursorSegment | SlotSegment)[];
      if (handle.info.slotCursors) {
        segments = slotSegments(handle.slotsOf(address), want);
      } else {
        segments = cursorSegments(want);
      }
      const where = handle.cluster ? `${address} ` : '';
      segments.forEach((segment, i) => {
        const label = segment.kind === 'cursor'
          ? `${where}db${handle.db} "${pattern}" cursor segment ${i + 1}/${segments.length}`
          : `${where}"${pattern}" slots [${segment.from}, ${segment.to})`;
        shards.push({
          id: `${handle.cluster ? `${address}/` : ''}seg-${i + 1}-of-${segments.length}`,
          label,
          ...(exact ? { estimatedRows: Math.round(size / segments.length) } : {}),
          spec: { kind: 'scan', node: address, runId: id, segment } as unknown as Record<string, unknown>,
        });
      });
    }
    return shards;
  }

  private async planDirty(ctx: PluginContext, handle: RedisHandle): Promise<Shard[]> {
    const { dirty, processing } = dirtySets(ctx);
    if (handle.cluster && keySlot(dirty) !== keySlot(processing)) {
      throw new TaskError(`task ${ctx.task.id}: params.dirty_processing_set "${processing}" must hash to the same Cluster slot as "${dirty}" (CROSSSLOT); give both the same {hash tag} or leave it empty`);
    }
    const node = handle.nodeForKey(dirty);
    let size: number;
    try {
      size = Number(await node.scard(dirty)) + Number(await node.scard(processing));
    } catch (err) {
      throw handle.wrap(err, `SCARD ${dirty}`);
    }
    if (size === 0) return [];
    const n = Math.max(1, Math.min(ctx.params.worker_num, Math.ceil(size / ctx.params.read_batch)));
    const limit = Math.ceil(size / n);
    return Array.from({ length: n }, (_, i) => ({
      id: `dirty-${i + 1}-of-${n}`,
      label: `dirty set ${dirty}: up to ${limit} keys (part ${i + 1}/${n})`,
      estimatedRows: limit,
      spec: { kind: 'dirty', limit } as unknown as Record<string, unknown>,
    }));
  }

  async open(ctx: PluginContext): Promise<ReaderSession> {
    const handle = await openRedis(ctx, 'source');
    return new RedisReaderSession(ctx, handle);
  }
}

/** How the values of a batch of keys are read. */
type FetchPlan = { mget: boolean; mode: 'auto' | 'dump' | 'typed'; page: number; generic: boolean };

class RedisReaderSession implements ReaderSession {
  private readonly p: RedisParams;
  private readonly pattern: string;
  private readonly allow: Buffer[];
  private readonly deny: Buffer[];
  private readonly types: Set<string> | null;
  private readonly fetchPlan: FetchPlan;
  private readonly toRow: RedisToRow | null;
  private readonly pending = new WeakMap<Batch, Buffer[]>();
  private readonly checkedRunIds = new Map<string, string>();
  private closed = false;

  constructor(private readonly ctx: PluginContext, private readonly handle: RedisHandle) {
    const p = redisParams(ctx);
    this.p = p;
    this.pattern = keyPattern(ctx);
    this.allow = p.key_prefixes.map((s) => Buffer.from(s));
    this.deny = p.exclude_prefixes.map((s) => Buffer.from(s));
    this.types = p.types.length ? new Set(p.types) : null;
    const toRedis = ctx.peerType === 'redis';
    const dumpOk = p.copy_method !== 'typed' && ctx.params.write_mode !== 'merge';
    this.fetchPlan = {
      // Strings go by MGET (standalone only: MGET cannot span slots) unless every key must be
      // DUMPed or strings are filtered out.
      mget: !handle.cluster && !(toRedis && p.copy_method === 'dump') && (!this.types || this.types.has('string')),
      mode: !toRedis || !dumpOk ? 'typed' : p.copy_method === 'dump' ? 'dump' : 'auto',
      // Other stores get whole values; a Redis target gets big collections in pages.
      page: toRedis ? p.collection_page : 2 ** 31,
      generic: !toRedis,
    };
    this.toRow = ctx.peerType === 'mysql' ? new RedisToRow(p) : null;
  }

  read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    if (this.closed) throw new ReadError('redis reader session is closed');
    const spec = shard.spec as unknown as ScanSpec | DirtySpec;
    return spec.kind === 'dirty' ? this.readDirty(spec, opts) : this.readScan(spec, opts);
  }

  private async nodeOf(spec: ScanSpec): Promise<Redis> {
    const node = this.handle.masters().find((m) => m.address === spec.node);
    if (!node) throw this.handle.error(`node ${spec.node} is no longer a master (failover or resharding since planning); re-run the task`);
    let id = this.checkedRunIds.get(spec.node);
    if (id === undefined) {
      try {
        id = await runId(node.client);
      } catch (err) {
        throw this.handle.wrap(err, `INFO on ${spec.node}`);
      }
      this.checkedRunIds.set(spec.node, id);
    }
    if (spec.runId && id !== spec.runId) {
      throw this.handle.error(`server ${spec.node} restarted or failed over since planning (run_id changed), so its scan cursors are no longer valid; re-run the task`);
    }
    return node.client;
  }

  private keep(key: Buffer): boolean {
    if (this.allow.length && !this.allow.some((a) => key.length >= a.length && key.compare(a, 0, a.length, 0, a.length) === 0)) return false;
    if (this.deny.length && this.deny.some((d) => key.length >= d.length && key.compare(d, 0, d.length, 0, d.length) === 0)) return false;
    return true;
  }

  private async *readScan(spec: ScanSpec, opts: ReadOptions): AsyncGenerator<Batch> {
    const node = await this.nodeOf(spec);
    const walker = new SegmentWalker(spec.segment, opts.batchSize);
    const matchAll = this.pattern === '*';
    const filter = this.allow.length > 0 || this.deny.length > 0;
    while (!walker.finished) {
      if (opts.signal.aborted) return;
      let keys: Buffer[] = [];
      // Gather about half a batch before fetching values: a selective pattern returns few keys per call.
      while (!walker.finished && keys.length < opts.batchSize / 2) {
        const count = walker.nextCount();
        let reply: [Buffer, Buffer[]];
        try {
          reply = (await sendRaw(node, matchAll
            ? ['SCAN', walker.cursor, 'COUNT', count]
            : ['SCAN', walker.cursor, 'MATCH', this.pattern, 'COUNT', count])) as [Buffer, Buffer[]];
        } catch (err) {
          throw this.handle.wrap(err, `SCAN on ${spec.node}`);
        }
        walker.advance(reply[0].toString(), count);
        const found = reply[1];
        if (filter) {
          for (const k of found) if (this.keep(k)) keys.push(k);
        } else if (keys.length === 0) {
          keys = found;
        } else {
          for (const k of found) keys.push(k);
        }
        if (opts.signal.aborted) return;
      }
      if (keys.length === 0) continue;
      for (let i = 0; i < keys.length; i += opts.batchSize) {
        const part = i === 0 && keys.length <= opts.batchSize ? keys : keys.slice(i, i + opts.batchSize);
        const { records, bytes, big } = await this.fetch(node, part);
        if (records.length) yield this.batch(records, bytes);
        for (const b of big) yield* this.readBig(node, b, opts);
      }
    }
  }

  private async *readDirty(spec: DirtySpec, opts: ReadOptions): AsyncGenerator<Batch> {
    const { dirty, processing } = dirtySets(this.ctx);
    const setNode = this.handle.nodeForKey(dirty);
    let remaining = spec.limit;
    while (remaining > 0 && !opts.signal.aborted) {
      let claimed: Buffer[];
      try {
        claimed = (await claimScript.run(setNode, this.handle.info.major, 2, [dirty, processing, Math.min(opts.batchSize, remaining)])) as Buffer[];
      } catch (err) {
        throw this.handle.wrap(err, `claiming keys from ${dirty}`);
      }
      if (claimed.length === 0) return;
      remaining -= claimed.length;
      const keys = claimed.filter((k) => this.keep(k));
      const records: SyncRecord[] = [];
      let bytes = 0;
      const bigs: BigKey[] = [];
      // Keys of a dirty set live anywhere in a Cluster: read each on its own node.
      const byNode = new Map<Redis, Buffer[]>();
      for (const k of keys) {
        const n = this.handle.nodeForKey(k);
        const list = byNode.get(n);
        if (list) list.push(k);
        else byNode.set(n, [k]);
      }
      const parts = await Promise.all([...byNode].map(([n, ks]) => this.fetch(n, ks).then((r) => ({ n, r }))));
      for (const { r } of parts) {
        for (const rec of r.records) records.push(rec);
        bytes += r.bytes;
        bigs.push(...r.big);
      }
      for (const b of bigs) yield* this.readBig(this.handle.nodeForKey(b.key), b, opts);
      if (records.length === 0) {
        // Nothing left to write (keys deleted since they were marked, or only big keys, whose
        // pages were written before the generator resumed here): done with them now.
        await this.release(claimed);
        continue;
      }
      const batch = this.batch(records, bytes);
      this.pending.set(batch, claimed);
      yield batch;
    }
  }

  /**
   * A batch; rows for MySQL carry the union of their columns (hashes may lack fields), so the
   * writer inserts NULL where a row has no such field instead of dropping other rows' columns.
   */
  private batch(records: SyncRecord[], bytes: number): Batch {
    if (!this.toRow) return { records, bytes };
    const columns = new Set<string>();
    for (const r of records) for (const k in r) columns.add(k);
    return { records, bytes, columns: [...columns] };
  }

  /** dirty_set: the batch's keys are committed on the target; take them out of the processing set. */
  async ack(batch: Batch): Promise<void> {
    const keys = this.pending.get(batch);
    if (!keys) return;
    this.pending.delete(batch);
    await this.release(keys);
  }

  private async release(keys: Buffer[]): Promise<void> {
    const { processing } = dirtySets(this.ctx);
    const node = this.handle.nodeForKey(processing);
    try {
      for (let i = 0; i < keys.length; i += 5000) await sendRaw(node, ['SREM', processing, ...keys.slice(i, i + 5000)]);
    } catch (err) {
      throw this.handle.wrap(err, `SREM ${processing}`);
    }
  }

  /** Read type, TTL and value of keys that live on `node`. */
  private async fetch(node: Redis, keys: Buffer[]): Promise<{ records: SyncRecord[]; bytes: number; big: BigKey[] }> {
    const plan = this.fetchPlan;
    const records: SyncRecord[] = [];
    const big: BigKey[] = [];
    let bytes = 0;
    let rest: Buffer[] = keys;
    const major = this.handle.info.major;
    try {
      if (plan.mget) {
        const mgetArgs: (Buffer | string)[] = new Array(keys.length + 1);
        mgetArgs[0] = 'MGET';
        for (let i = 0; i < keys.length; i++) mgetArgs[i + 1] = keys[i];
        const [values, keyspace] = (await Promise.all([sendRaw(node, mgetArgs), sendRaw(node, ['INFO', 'keyspace'])])) as [(Buffer | null)[], Buffer];
        // No key of the db has a TTL at this moment: skip asking each key for one.
        const ttls = new Array<number>(keys.length).fill(-1);
        if (dbKeys(keyspace.toString(), this.handle.db).expires > 0) {
          const flat = (await ttlScript.run(node, major, 0, keys)) as number[];
          for (let i = 0; i < flat.length; i += 2) ttls[flat[i] - 1] = flat[i + 1];
        }
        rest = [];
        for (let i = 0; i < keys.length; i++) {
          const v = values[i];
          if (v === null) {
            rest.push(keys[i]);
            continue;
          }
          const ttl = ttls[i];
          if (ttl === -2) continue; // expired or deleted since MGET
          const rec = this.record(keys[i], 'string', v, ttl, false);
          if (rec) {
            records.push(rec);
            bytes += keys[i].length + v.length;
          }
        }
      }
      if (rest.length > 0) {
        const flat = (await valueScript.run(node, major, 0, [plan.mode, plan.page, ...rest])) as unknown[];
        for (let i = 0, k = 0; i < flat.length; i += 3, k++) {
          const type = String(flat[i]);
          if (type === 'none') continue;
          if (this.types && !this.types.has(type)) continue;
          const ttl = Number(flat[i + 1]);
          const value = flat[i + 2];
          if (typeof value === 'number') {
            big.push({ key: rest[k], type, ttl });
            continue;
          }
          const known = ['string', 'hash', 'list', 'set', 'zset', 'stream'].includes(type);
          const isDump = !known || plan.mode === 'dump' || (plan.mode === 'auto' && type !== 'string');
          if (isDump && plan.generic) {
            this.ctx.logger.warn(`redis key ${rest[k].toString()} has type ${type}, which only a Redis target can take; skipped`);
            continue;
          }
          const rec = this.record(rest[k], type, value, ttl, isDump);
          if (rec) {
            records.push(rec);
            bytes += rest[k].length + sizeOf(value);
          }
        }
      }
    } catch (err) {
      throw this.handle.wrap(err, 'reading values');
    }
    return { records, bytes, big };
  }

  private record(key: Buffer, type: string, value: unknown, ttl: number, dump: boolean): SyncRecord | null {
    if (this.toRow) return this.toRow.convert(key.toString('utf8'), type, value, ttl, this.ctx.params.columns);
    if (this.fetchPlan.generic) return { key: key.toString('utf8'), type, value: toGenericValue(type, value), ttl_ms: ttl };
    const rec: RedisRecord = dump ? { key, type, value, ttl_ms: ttl, dump: true } : { key, type, value, ttl_ms: ttl };
    return rec as unknown as SyncRecord;
  }

  /** Page through one big collection; each page is one chunk record of the same key. */
  private async *readBig(node: Redis, big: BigKey, opts: ReadOptions): AsyncGenerator<Batch> {
    const id = randomUUID();
    const page = this.p.collection_page;
    let index = 0;
    let cursor = '0';
    let offset = 0;
    let lastId = '-';
    for (;;) {
      if (opts.signal.aborted) return;
      let items: unknown[];
      let last: boolean;
      try {
        switch (big.type) {
          case 'hash':
          case 'set':
          case 'zset': {
            const cmd = big.type === 'hash' ? 'HSCAN' : big.type === 'set' ? 'SSCAN' : 'ZSCAN';
            const r = (await sendRaw(node, [cmd, big.key, cursor, 'COUNT', page])) as [Buffer, unknown[]];
            cursor = r[0].toString();
            items = r[1];
            last = cursor === '0';
            break;
          }
          case 'list': {
            items = (await sendRaw(node, ['LRANGE', big.key, offset, offset + page - 1])) as unknown[];
            offset += items.length;
            last = items.length < page;
            break;
          }
          case 'stream': {
            const start = lastId === '-' ? '-' : `(${lastId}`;
            items = (await sendRaw(node, ['XRANGE', big.key, start, '+', 'COUNT', page])) as unknown[];
            if (items.length) lastId = String((items[items.length - 1] as [Buffer])[0]);
            last = items.length < page;
            break;
          }
          default:
            throw new ReadError(`redis key ${big.key.toString()}: cannot page type ${big.type}`);
        }
      } catch (err) {
        throw this.handle.wrap(err, `reading big key ${big.key.toString()}`);
      }
      const ttl = last ? Number(await sendRaw(node, ['PTTL', big.key])) : big.ttl;
      const rec: RedisRecord = { key: big.key, type: big.type, value: items, ttl_ms: ttl, chunk: { id, index: index++, last } };
      yield { records: [rec as unknown as SyncRecord], bytes: big.key.length + sizeOf(items) };
      if (last) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.toRow?.skipped) this.ctx.logger.warn(`redis: ${this.toRow.skipped} key(s) did not fit key_template "${this.p.key_template}" and were skipped`);
    await this.handle.close();
  }
}

interface BigKey {
  key: Buffer;
  type: string;
  ttl: number;
}
