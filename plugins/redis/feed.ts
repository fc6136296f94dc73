/**
 * The Redis change feed (`-mode stream`): one unbounded shard per server (per Cluster master; one
 * shard for every master when the task uses a dirty set) that catches up, then follows keyspace
 * notifications and copies each changed key's current value.
 *
 * Order, so a catch-up never overwrites a newer value: the shard subscribes first, then copies
 * (scan or dirty set) while the notifications pile up in its {@link ChangeQueue}. Everything runs in
 * this one generator, and the shard runner reads a batch only after it wrote the one before, so a
 * value is always read after every earlier batch of the shard was written, and any change after a
 * read is in the queue and copied (read again) later. Queued changes are copied between catch-up
 * batches (never between the pages of one big key), so the lag stays low during a re-scan.
 */
import type { Redis } from 'ioredis';
import type { Batch, KvEntry, PluginContext, ReadOptions, SyncRecord } from '../../src/sdk';
import { ChangeQueue } from './change-queue';
import type { RedisHandle } from './client';
import { RedisParams, redisParams } from './config';
import { FeedSpec, feedPattern, where } from './feed-plan';
import { ensureNotifications } from './notify';
import { KeyspaceSubscriber } from './subscriber';

/** What the feed needs from the reader session. */
export interface FeedSource {
  handle: RedisHandle;
  /** Keys the feed itself changes (the dirty set and its processing set), as latin1 text. */
  ownKeys(): string[];
  /** Key passes the task's prefix filters. */
  keep(key: Buffer): boolean;
  /** The catch-up of one server (`scan`) or of the dirty set, as the bounded reader gives it. */
  catchUp(how: FeedSpec['catchUp'], node: string, opts: ReadOptions): AsyncIterable<Batch>;
  /** Current values of keys (any node): entries, big keys as page batches, and which keys were found. */
  current(keys: Buffer[], opts: ReadOptions): Promise<{ records: SyncRecord[]; bytes: number; found: Set<string>; pages: AsyncIterable<Batch>[] }>;
}

/** A wait for notifications wakes at least this often (checks the subscriber and the timer). */
const IDLE_WAKE_MS = 1000;

/**
 * A dirty-set feed claims what applications added to the set this often, so the set does not
 * grow while the feed follows the same changes through notifications.
 */
const DIRTY_DRAIN_MS = 10_000;
const DIRTY_DRAIN = 'dirty set drain';

/** An empty value for delete records. */
const EMPTY = Buffer.alloc(0);

/** A batch boundary where changes may be copied: not between the pages of one big key. */
function betweenKeys(batch: Batch): boolean {
  const last = batch.records[batch.records.length - 1] as unknown as KvEntry | undefined;
  return !last?.chunk || last.chunk.last;
}

/**
 * Follow the changes of a feed shard's servers until `opts.signal` fires.
 * @throws TaskError when a server does not publish keyspace notifications (see ensureNotifications)
 */
export async function* followChanges(ctx: PluginContext, source: FeedSource, spec: FeedSpec, opts: ReadOptions): AsyncGenerator<Batch> {
  const p: RedisParams = redisParams(ctx);
  const { handle } = source;
  const masters = handle.masters();
  const nodes = spec.nodes.map((address) => {
    const m = masters.find((n) => n.address === address);
    if (!m) throw handle.error(`node ${address} is no longer a master (failover or resharding since planning); re-run the task`);
    return m;
  });
  const queue = new ChangeQueue(p.stream_queue_keys);
  const ensure = async (client: Redis, address: string): Promise<void> => {
    await ensureNotifications(client, where(address, handle), p.enable_notifications, (line) => ctx.logger.warn(line));
  };
  for (const n of nodes) await ensure(n.client, n.address);
  const pattern = feedPattern(ctx);
  // The dirty set and its processing set change with every claim: they are not data.
  const own = new Set(spec.catchUp === 'dirty' ? source.ownKeys() : []);
  const subs = nodes.map((n) => new KeyspaceSubscriber(n.client, n.address, handle.db, pattern,
    (key) => { if (source.keep(key) && !own.has(key.toString('latin1'))) queue.add(key); },
    (reason) => queue.requestRescan(reason)));
  const timer = p.rescan_seconds > 0 ? setInterval(() => queue.requestRescan(`params.rescan_seconds ${p.rescan_seconds}`), p.rescan_seconds * 1000) : undefined;
  try {
    for (const s of subs) await s.start();
    ctx.logger.info(`redis feed ${spec.nodes.join(',')}: subscribed to keyspace notifications of "${pattern}" in db ${handle.db}; catching up (${spec.catchUp === 'dirty' ? 'dirty set' : 'full scan'})`);
    let rescan: string | undefined = 'catch-up';
    let first = true;
    let lastDrain = Date.now();
    while (!opts.signal.aborted) {
      const failed = subs.find((s) => s.failure);
      if (failed) throw handle.error(failed.failure!.message, failed.failure);
      if (rescan) {
        if (!first && rescan !== DIRTY_DRAIN) {
          ctx.logger.warn(`redis feed ${spec.nodes.join(',')}: re-scanning (${rescan}): notifications may have been lost; every key is copied again`);
          // A server restarted under the feed has lost a CONFIG SET.
          for (const n of nodes) await ensure(n.client, n.address);
        }
        for (const n of nodes) {
          const how = spec.catchUp;
          for await (const batch of source.catchUp(how, n.address, opts)) {
            // Catch-up batches carry no position (a feed restarts with a catch-up) and reach the
            // runtime as they are: a dirty-set batch is acknowledged by identity.
            if (batch.records.length) yield batch.position === undefined ? batch : { ...batch, position: undefined };
            if (betweenKeys(batch) && queue.size > 0) yield* copyChanges(source, queue, opts);
            if (opts.signal.aborted) return;
          }
          if (how === 'dirty') break; // the dirty set covers every node at once
        }
        if (first) ctx.logger.info(`redis feed ${spec.nodes.join(',')}: caught up; following changes`);
        first = false;
        rescan = undefined;
        lastDrain = Date.now();
      }
      if (queue.size > 0) yield* copyChanges(source, queue, opts);
      else await queue.wait(IDLE_WAKE_MS, opts.signal);
      rescan = queue.takeRescan() ?? (spec.catchUp === 'dirty' && Date.now() - lastDrain >= DIRTY_DRAIN_MS ? DIRTY_DRAIN : undefined);
    }
  } finally {
    if (timer) clearInterval(timer);
    for (const s of subs) s.close();
  }
}

/** Copy one batch of queued keys: current values as records, keys gone as deletes. */
async function* copyChanges(source: FeedSource, queue: ChangeQueue, opts: ReadOptions): AsyncGenerator<Batch> {
  const changes = queue.take(opts.batchSize);
  if (changes.length === 0) return;
  let changedAt = 0;
  for (const c of changes) if (c.at > changedAt) changedAt = c.at;
  const keys = changes.map((c) => c.key);
  const { records, bytes, found, pages } = await source.current(keys, opts);
  const deletes: SyncRecord[] = [];
  for (const key of keys) {
    if (!found.has(key.toString('latin1'))) deletes.push({ key, type: 'string', value: EMPTY, expireAt: null } satisfies KvEntry as unknown as SyncRecord);
  }
  if (records.length || deletes.length) yield { kind: 'entry', records, deletes, bytes, changedAt };
  for (const page of pages) {
    for await (const b of page) yield { ...b, changedAt };
  }
}
