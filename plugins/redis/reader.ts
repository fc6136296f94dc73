import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Batch, EntryType, KvEntry, PluginContext, ReaderFactory, ReaderSession, ReadOptions, Shard, SyncRecord } from '../../src/sdk';
import { ReadError, ReaderSessionBase, TaskError } from '../../src/sdk';
import { keyPattern, RedisParams, redisParams } from './config';
import { openRedis, RedisHandle } from './client';
import { ENTRY_TYPES, entryValue, sizeOf } from './records';
import { sendRaw } from './resp';
import { claimScript, recoverScript, ttlScript, valueScript } from './scripts';
import { keySlot, sameSlotKey } from './slot';
import { checkFeed, enableFeedNotifications, feedSettings, FeedSpec, planFeed } from './feed-plan';
import { FeedSource, followChanges } from './feed';
import { cursorPosition, cursorSegments, CursorSegment, SegmentWalker, slotSegments, SlotSegment } from './split';

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

/** Shard spec of a `--key` run: just these keys (UTF-8 text), each read on its node. */
interface KeysSpec {
  kind: 'keys';
  keys: string[];
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
    const handle = await openRedis(ctx, 'source');
    try {
      if (ctx.mode === 'stream') await checkFeed(ctx, handle);
    } finally {
      await handle.close();
    }
  }

  /**
   * dirty_set mode: keys a crashed run left in the processing set go back into the dirty set.
   * `-mode stream` with params.enable_notifications: every master is set to publish notifications.
   */
  async prepare(ctx: PluginContext): Promise<Record<string, unknown>> {
    if (ctx.mode === 'stream' && redisParams(ctx).enable_notifications) {
      const handle = await openRedis(ctx, 'source');
      try {
        await enableFeedNotifications(ctx, handle);
      } finally {
        await handle.close();
      }
    }
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

  settings(ctx: PluginContext): Record<string, string> {
    return feedSettings(ctx);
  }

  async plan(ctx: PluginContext): Promise<Shard[]> {
    const p = redisParams(ctx);
    const handle = await openRedis(ctx, 'source');
    try {
      if (ctx.mode === 'stream') return planFeed(ctx, handle);
      if (ctx.keys.length) return await this.planKeys(ctx, handle);
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
        // Cursor segments re-read the keys of the bucket at each boundary: an appending target
        // (files) would hold them twice, so it gets one segment per server, read exactly once.
        segments = cursorSegments(ctx.readOnce ? 1 : want);
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

  /** `--key`: one shard holding the named keys that exist; each missing one is named in a warning. */
  private async planKeys(ctx: PluginContext, handle: RedisHandle): Promise<Shard[]> {
    const found: string[] = [];
    const entry = `from.${ctx.task.from_db_type}.${ctx.task.from_app}_${ctx.task.from_db}`;
    for (const key of ctx.keys) {
      let n: number;
      try {
        n = Number(await handle.nodeForKey(Buffer.from(key)).exists(key));
      } catch (err) {
        throw handle.wrap(err, `EXISTS ${key}`);
      }
      if (n > 0) found.push(key);
      else ctx.logger.warn(`key ${JSON.stringify(key)} does not exist in db ${handle.db} (${entry}); nothing to copy for it`);
    }
    if (found.length === 0) return [];
    return [{
      id: 'keys',
      label: `${found.length} named key${found.length === 1 ? '' : 's'} (--key): ${found.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}${found.length > 5 ? ', ...' : ''}`,
      estimatedRows: found.length,
      spec: { kind: 'keys', keys: found } satisfies KeysSpec as unknown as Record<string, unknown>,
    }];
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

/**
 * How the values of a batch of keys are read. `native`: the writer shares the redis native format
 * (`ctx.peerNative`), so DUMP payloads and paged big collections may be emitted; otherwise every
 * entry is typed and whole.
 */
type FetchPlan = { mget: boolean; mode: 'auto' | 'dump' | 'typed'; page: number; native: boolean };

/** An empty value, for entries that travel as a DUMP payload only. */
const NO_VALUE = Buffer.alloc(0);

class RedisReaderSession extends ReaderSessionBase {
  protected readonly description = 'redis reader session';
  private readonly p: RedisParams;
  private readonly pattern: string;
  private readonly allow: Buffer[];
  private readonly deny: Buffer[];
  private readonly types: Set<string> | null;
  private readonly fetchPlan: FetchPlan;
  private readonly pending = new WeakMap<Batch, Buffer[]>();
  private readonly checkedRunIds = new Map<string, string>();

  constructor(private readonly ctx: PluginContext, private readonly handle: RedisHandle) {
    super();
    const p = redisParams(ctx);
    this.p = p;
    this.pattern = keyPattern(ctx);
    this.allow = p.key_prefixes.map((s) => Buffer.from(s));
    this.deny = p.exclude_prefixes.map((s) => Buffer.from(s));
    this.types = p.types.length ? new Set(p.types) : null;
    const native = ctx.peerNative;
    const dumpOk = p.copy_method !== 'typed' && ctx.params.write_mode !== 'merge';
    this.fetchPlan = {
      // Strings go by MGET (standalone only: MGET cannot span slots) unless every key must be
      // DUMPed or strings are filtered out.
      mget: !handle.cluster && !(native && p.copy_method === 'dump') && (!this.types || this.types.has('string')),
      mode: !native || !dumpOk ? 'typed' : p.copy_method === 'dump' ? 'dump' : 'auto',
      // A writer of the native format gets big collections in pages; others get whole values.
      page: native ? p.collection_page : 2 ** 31,
      native,
    };
  }

  read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    this.assertOpen();
    const spec = shard.spec as unknown as ScanSpec | DirtySpec | KeysSpec | FeedSpec;
    if (spec.kind === 'feed') return followChanges(this.ctx, this.feedSource(), spec, opts);
    if (spec.kind === 'keys') return this.readKeys(spec, opts);
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

  /** What the change feed reads through this session (see feed.ts). */
  private feedSource(): FeedSource {
    return {
      handle: this.handle,
      keep: (key) => this.keep(key),
      ownKeys: () => {
        const { dirty, processing } = dirtySets(this.ctx);
        return [Buffer.from(dirty).toString('latin1'), Buffer.from(processing).toString('latin1')];
      },
      catchUp: (how, node, opts) => {
        if (how === 'dirty') return this.readDirty({ kind: 'dirty', limit: Number.MAX_SAFE_INTEGER }, opts);
        const segment = this.handle.info.slotCursors ? { kind: 'slots' as const, from: 0, to: 16384 } : cursorSegments(1)[0];
        // No run_id pin: a catch-up that fails starts over, it never resumes a cursor.
        return this.readScan({ kind: 'scan', node, runId: '', segment }, opts);
      },
      current: (keys, opts) => this.current(keys, opts),
    };
  }

  /** The current values of keys on any node: entries, page readers of big keys, and the keys found. */
  private async current(keys: Buffer[], opts: ReadOptions): Promise<{ records: SyncRecord[]; bytes: number; found: Set<string>; pages: AsyncIterable<Batch>[] }> {
    const byNode = new Map<Redis, Buffer[]>();
    for (const k of keys) {
      const n = this.handle.nodeForKey(k);
      const list = byNode.get(n);
      if (list) list.push(k);
      else byNode.set(n, [k]);
    }
    const parts = await Promise.all([...byNode].map(([n, ks]) => this.fetch(n, ks).then((r) => ({ n, r }))));
    const records: SyncRecord[] = [];
    const found = new Set<string>();
    const pages: AsyncIterable<Batch>[] = [];
    let bytes = 0;
    for (const { n, r } of parts) {
      for (const rec of r.records) {
        records.push(rec);
        found.add((rec as unknown as KvEntry).key.toString('latin1'));
      }
      for (const b of r.big) {
        found.add(b.key.toString('latin1'));
        pages.push(this.readBig(n, b, opts));
      }
      bytes += r.bytes;
    }
    return { records, bytes, found, pages };
  }

  private keep(key: Buffer): boolean {
    if (this.allow.length && !this.allow.some((a) => key.length >= a.length && key.compare(a, 0, a.length, 0, a.length) === 0)) return false;
    if (this.deny.length && this.deny.some((d) => key.length >= d.length && key.compare(d, 0, d.length, 0, d.length) === 0)) return false;
    return true;
  }

  private async *readScan(spec: ScanSpec, opts: ReadOptions): AsyncGenerator<Batch> {
    const node = await this.nodeOf(spec);
    const walker = new SegmentWalker(spec.segment, opts.batchSize);
    // Resume: continue from the cursor a durable batch ended on (valid on the same server process,
    // which the shard's run_id guarantees: a restarted server plans other shards).
    const from = opts.from as { cursor?: unknown } | undefined;
    if (from && typeof from.cursor === 'string') walker.resume(from.cursor);
    const matchAll = this.pattern === '*';
    const filter = this.allow.length > 0 || this.deny.length > 0;
    while (!walker.finished) {
      if (opts.signal.aborted) return;
      let keys: Buffer[] = [];
      let lastFound: Buffer[] = [];
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
        lastFound = found;
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
      const crossing = walker.crossing();
      const alsoNext = crossing ? await this.readAgainByNext(node, crossing, lastFound, spec) : undefined;
      for (let i = 0; i < keys.length; i += opts.batchSize) {
        const part = i === 0 && keys.length <= opts.batchSize ? keys : keys.slice(i, i + opts.batchSize);
        const { records, bytes, big } = await this.fetch(node, part);
        if (records.length) yield withRecount(this.batch(records, bytes), alsoNext);
        for (const b of big) {
          for await (const page of this.readBig(node, b, opts)) yield withRecount(page, alsoNext);
        }
      }
      // Every key the SCAN calls so far returned is read: the cursor is a resume position.
      yield { kind: 'entry', records: [], bytes: 0, position: { cursor: walker.cursor } };
    }
  }

  /**
   * The keys of a segment's last SCAN call (the one that ran past its end) that the next segment
   * reads too: SCAN from the next segment's start up to where that call reached, and keep the keys
   * both returned. Those are still written (a rewrite of the same value is harmless) but counted
   * once, by the next segment, so `rows_read` says how many keys there are.
   */
  private async readAgainByNext(node: Redis, crossing: { nextStart: string; reached: bigint }, lastFound: Buffer[], spec: ScanSpec): Promise<Set<string>> {
    const seen = new Set<string>();
    let cursor = crossing.nextStart;
    const count = Math.max(10, lastFound.length);
    try {
      for (;;) {
        const reply = (await sendRaw(node, this.pattern === '*'
          ? ['SCAN', cursor, 'COUNT', count]
          : ['SCAN', cursor, 'MATCH', this.pattern, 'COUNT', count])) as [Buffer, Buffer[]];
        for (const k of reply[1]) seen.add(k.toString('latin1'));
        cursor = reply[0].toString();
        if (cursor === '0' || cursorPosition(cursor) >= crossing.reached) break;
      }
    } catch (err) {
      throw this.handle.wrap(err, `SCAN on ${spec.node}`);
    }
    return new Set(lastFound.map((k) => k.toString('latin1')).filter((k) => seen.has(k)));
  }

  /** `--key`: read the named keys, `batchSize` at a time, each on its node (a key deleted since planning is simply absent). */
  private async *readKeys(spec: KeysSpec, opts: ReadOptions): AsyncGenerator<Batch> {
    for (let i = 0; i < spec.keys.length && !opts.signal.aborted; i += opts.batchSize) {
      const byNode = new Map<Redis, Buffer[]>();
      for (const text of spec.keys.slice(i, i + opts.batchSize)) {
        const k = Buffer.from(text);
        const n = this.handle.nodeForKey(k);
        const list = byNode.get(n);
        if (list) list.push(k);
        else byNode.set(n, [k]);
      }
      const parts = await Promise.all([...byNode].map(([n, ks]) => this.fetch(n, ks)));
      const records: SyncRecord[] = [];
      let bytes = 0;
      for (const r of parts) {
        for (const rec of r.records) records.push(rec);
        bytes += r.bytes;
      }
      if (records.length) yield this.batch(records, bytes);
      for (const r of parts) {
        for (const b of r.big) yield* this.readBig(this.handle.nodeForKey(b.key), b, opts);
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
        await this.releaseClaimed(claimed);
        continue;
      }
      const batch = this.batch(records, bytes);
      this.pending.set(batch, claimed);
      yield batch;
    }
  }

  /** A batch of entries. */
  private batch(records: SyncRecord[], bytes: number): Batch {
    return { kind: 'entry', records, bytes };
  }

  /** dirty_set: the batch's keys are committed on the target; take them out of the processing set. */
  async ack(batch: Batch): Promise<void> {
    const keys = this.pending.get(batch);
    if (!keys) return;
    this.pending.delete(batch);
    await this.releaseClaimed(keys);
  }

  private async releaseClaimed(keys: Buffer[]): Promise<void> {
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
          records.push(this.entry(keys[i], 'string', v, ttl, false));
          bytes += keys[i].length + v.length;
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
            big.push({ key: rest[k], type: type as EntryType, ttl });
            continue;
          }
          const known = ENTRY_TYPES.includes(type);
          const isDump = !known || plan.mode === 'dump' || (plan.mode === 'auto' && type !== 'string');
          if (isDump && !plan.native) {
            this.ctx.logger.warn(`redis key ${rest[k].toString()} has type ${type}, which only a Redis target can take; skipped`);
            continue;
          }
          // A module type has no portable type: its entry says "string" and carries only the DUMP payload.
          records.push(this.entry(rest[k], known ? type as EntryType : 'string', value, ttl, isDump));
          bytes += rest[k].length + sizeOf(value);
        }
      }
    } catch (err) {
      throw this.handle.wrap(err, 'reading values');
    }
    return { records, bytes, big };
  }

  /**
   * The entry of one key: `pttl` (ms left, -1 = none) becomes an absolute `expireAt`; a DUMP payload
   * goes into `native` (only when the writer shares the native format), else the value is typed.
   */
  private entry(key: Buffer, type: EntryType, raw: unknown, pttl: number, dump: boolean, chunk?: KvEntry['chunk']): SyncRecord {
    const expireAt = pttl >= 0 ? Date.now() + pttl : null;
    const entry: KvEntry = dump
      ? { key, type, value: NO_VALUE, expireAt, native: raw as Buffer }
      : { key, type, value: entryValue(type, raw), expireAt };
    if (chunk) entry.chunk = chunk;
    return entry as unknown as SyncRecord;
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
      const rec = this.entry(big.key, big.type, items, ttl, false, { id, index: index++, last });
      yield this.batch([rec], big.key.length + sizeOf(items));
      if (last) return;
    }
  }

  protected async release(): Promise<void> {
    await this.handle.close();
  }
}

interface BigKey {
  key: Buffer;
  type: EntryType;
  ttl: number;
}

/** `batch` with `recounted` set to how many of its entries another shard reads too (keys in `alsoNext`). */
function withRecount(batch: Batch, alsoNext: Set<string> | undefined): Batch {
  if (!alsoNext || alsoNext.size === 0) return batch;
  let n = 0;
  for (const r of batch.records) if (alsoNext.has((r as unknown as KvEntry).key.toString('latin1'))) n++;
  return n > 0 ? { ...batch, recounted: n } : batch;
}
