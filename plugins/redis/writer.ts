import type { Redis } from 'ioredis';
import type { Batch, KvEntry, PluginContext, WriterFactory, WriterSession } from '../../src/sdk';
import { TaskError, writeBatchOf, WriterSessionBase } from '../../src/sdk';
import { openRedis, RedisHandle } from './client';
import { flattenValue } from './records';
import { RespArg, sendRaw } from './resp';
import { writeTypedScript } from './scripts';
import { sameSlotKey } from './slot';

const WRITE_MODES = ['replace', 'skip_existing', 'merge'];

/**
 * Bytes of keys and values one MSET carries at most: a write of `write_batch` strings goes out as
 * several MSETs of about this size, pipelined, so no command grows with the values' size.
 */
const MSET_BYTES = 1024 * 1024;

type WriteMode = 'replace' | 'skip_existing' | 'merge';

/** One command to send, and how to count its reply. */
interface Op {
  node: Redis;
  args: RespArg[];
  /** Records this command writes (MSET: many). */
  records: number;
  /** Reply -> written records: OK/1 counts, nil/0 (NX, skip) does not. */
  kind: 'all' | 'nx' | 'restore' | 'script';
  key: Buffer | string;
}

/**
 * Writes Redis: key-value entries, typed (from any store: rows are mapped to entries by the core)
 * or as DUMP payloads and pages of big collections (from a reader of the same native format).
 */
export class RedisWriter implements WriterFactory {
  readonly deletes = true;
  /**
   * One pipelined write per read batch (`read_batch` defaults to 5000): each write costs a round
   * trip and the server a reply per command, and strings go in MSETs of {@link MSET_BYTES} anyway.
   */
  readonly defaultWriteBatch = 5000;

  async validate(ctx: PluginContext): Promise<void> {
    const mode = ctx.params.write_mode;
    if (mode && !WRITE_MODES.includes(mode)) {
      throw new TaskError(`task ${ctx.task.id}: params.write_mode must be one of ${WRITE_MODES.map((m) => `"${m}"`).join(', ')} for a redis target, got "${mode}"`);
    }
    const handle = await openRedis(ctx, 'target');
    await handle.close();
  }

  settings(ctx: PluginContext): Record<string, string> {
    return { write_mode: ctx.params.write_mode || 'replace (default)', write_batch: String(writeBatchOf(ctx.params, this)) };
  }

  async open(ctx: PluginContext): Promise<WriterSession> {
    const handle = await openRedis(ctx, 'target');
    try {
      // Load the write script everywhere up front, so batches go out as EVALSHA.
      await Promise.all(handle.masters().map((m) => m.client.script('LOAD', writeTypedScript.source(handle.info.major))));
    } catch (err) {
      await handle.close();
      throw handle.wrap(err, 'SCRIPT LOAD');
    }
    return new RedisWriterSession(ctx, handle);
  }
}

class RedisWriterSession extends WriterSessionBase {
  protected readonly description = 'redis writer session';
  private readonly mode: WriteMode;
  private readonly skippedChunks = new Set<string>();

  constructor(ctx: PluginContext, private readonly handle: RedisHandle) {
    super();
    this.mode = (ctx.params.write_mode || 'replace') as WriteMode;
  }

  async write(batch: Batch): Promise<number> {
    this.assertOpen();
    if (batch.records.length === 0) return 0;
    const ops = await this.entryOps(batch.records as unknown as KvEntry[]);
    return this.execute(ops);
  }


  /** Delete the entries' keys (a change feed's deletes): one DEL per key, pipelined; a missing key is fine. */
  async delete(batch: Batch): Promise<number> {
    this.assertOpen();
    const ops: Op[] = (batch.records as unknown as KvEntry[]).map((r) => ({ node: this.handle.nodeForKey(r.key), args: ['DEL', r.key], records: 1, kind: 'all', key: r.key }));
    return this.execute(ops);
  }

  private how(): string {
    return this.mode;
  }

  /**
   * Commands for a batch of entries. The time an entry has left is taken now (`expireAt` is
   * absolute): an entry that expired since it was read is not written and not counted.
   */
  private async entryOps(entries: KvEntry[]): Promise<Op[]> {
    const ops: Op[] = [];
    const standalone = !this.handle.cluster;
    const msets = standalone && this.mode !== 'skip_existing';
    let mset: RespArg[] = ['MSET'];
    let msetBytes = 0;
    const flushMset = () => {
      if (mset.length > 1) ops.push({ node: this.handle.client as Redis, args: mset, records: (mset.length - 1) / 2, kind: 'all', key: 'MSET' });
      mset = ['MSET'];
      msetBytes = 0;
    };
    const now = Date.now();
    for (const r of entries) {
      const key = r.key;
      const left = r.expireAt === null ? null : r.expireAt - now;
      if (r.chunk) {
        // A page always lands (the key is built from all of them); an expired key gets 1 ms and vanishes.
        ops.push(...(await this.chunkOps(r, key, left === null ? 0 : Math.max(1, left))));
        continue;
      }
      if (left !== null && left <= 0) continue; // expired since it was read
      const ttl = left ?? 0; // ms to grant; 0 = no expiry
      if (r.native) {
        const args: RespArg[] = ['RESTORE', key, ttl, r.native];
        if (this.mode !== 'skip_existing') args.push('REPLACE');
        ops.push({ node: this.handle.nodeForKey(key), args, records: 1, kind: 'restore', key });
        continue;
      }
      if (r.type === 'string') {
        const value = r.value as Buffer;
        if (this.mode === 'skip_existing') {
          ops.push({ node: this.handle.nodeForKey(key), args: ttl ? ['SET', key, value, 'PX', ttl, 'NX'] : ['SET', key, value, 'NX'], records: 1, kind: 'nx', key });
        } else if (!ttl && msets) {
          mset.push(key, value);
          msetBytes += key.length + value.length;
          if (msetBytes >= MSET_BYTES) flushMset();
        } else {
          ops.push({ node: this.handle.nodeForKey(key), args: ttl ? ['SET', key, value, 'PX', ttl] : ['SET', key, value], records: 1, kind: 'all', key });
        }
        continue;
      }
      let flat: RespArg[];
      try {
        flat = flattenValue(r.type, r.value);
      } catch (err) {
        throw this.handle.error(`key ${String(key)}: ${(err as Error).message}`, err);
      }
      ops.push({
        node: this.handle.nodeForKey(key),
        args: ['EVALSHA', writeTypedScript.shaFor(this.handle.info.major), 2, key, key, r.type, this.how(), ttl, ...flat],
        records: 1,
        kind: 'script',
        key,
      });
    }
    flushMset();
    return ops;
  }

  /** One page of a big collection: build it under a temp key, rename over the key on the last page. */
  private async chunkOps(r: KvEntry, key: Buffer, ttl: number): Promise<Op[]> {
    const chunk = r.chunk!;
    const node = this.handle.nodeForKey(key);
    if (this.mode === 'skip_existing') {
      if (chunk.index === 0 && Number(await node.exists(key)) === 1) this.skippedChunks.add(chunk.id);
      if (this.skippedChunks.has(chunk.id)) {
        if (chunk.last) this.skippedChunks.delete(chunk.id);
        return [];
      }
    }
    const how = chunk.index === 0 && chunk.last ? (this.mode === 'merge' ? 'merge' : 'replace')
      : this.mode === 'merge' ? 'merge'
        : chunk.index === 0 ? 'chunk_first' : chunk.last ? 'chunk_last' : 'chunk_more';
    const tmp = sameSlotKey(key, `:goshift-tmp:${chunk.id}`);
    const flat = flattenValue(r.type, r.value);
    return [{ node, args: ['EVALSHA', writeTypedScript.shaFor(this.handle.info.major), 2, key, tmp, r.type, how, ttl, ...flat], records: 1, kind: 'script', key }];
  }

  /** Send every op pipelined (one write per node), then count what was really written. */
  private async execute(ops: Op[]): Promise<number> {
    const corked = new Set<Redis>();
    const replies: Promise<unknown>[] = new Array(ops.length);
    for (let i = 0; i < ops.length; i++) {
      const node = ops[i].node;
      if (!corked.has(node) && node.stream) {
        node.stream.cork();
        corked.add(node);
      }
      replies[i] = sendRaw(node, ops[i].args);
    }
    for (const node of corked) node.stream.uncork();
    const settled = await Promise.allSettled(replies);
    let written = 0;
    const retry: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const s = settled[i];
      const op = ops[i];
      if (s.status === 'fulfilled') {
        const v = s.value;
        if (op.kind === 'all' || op.kind === 'restore') written += op.records;
        else if (op.kind === 'nx') written += v === null ? 0 : 1;
        else written += Number(v) > 0 ? 1 : 0;
        continue;
      }
      const msg = (s.reason as Error)?.message ?? String(s.reason);
      if (op.kind === 'restore' && /BUSYKEY/.test(msg)) continue; // skip_existing: the key is there
      if (/NOSCRIPT/.test(msg) || /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)/.test(msg)) {
        retry.push(i);
        continue;
      }
      throw this.failure(op, msg, s.reason);
    }
    for (const i of retry) written += await this.retryOne(ops[i]);
    return written;
  }

  /** Resend one op through the routing client: loads a missing script, follows Cluster redirections. */
  private async retryOne(op: Op): Promise<number> {
    let args = op.args;
    if (args[0] === 'EVALSHA') args = ['EVAL', writeTypedScript.source(this.handle.info.major), ...args.slice(2)];
    try {
      const [name, ...rest] = args;
      const client = this.handle.client;
      const v = await client.callBuffer(String(name), ...(rest as (string | Buffer | number)[]));
      if (op.kind === 'nx') return v === null ? 0 : 1;
      if (op.kind === 'script') return Number(v) > 0 ? 1 : 0;
      return op.records;
    } catch (err) {
      const msg = (err as Error).message;
      if (op.kind === 'restore' && /BUSYKEY/.test(msg)) return 0;
      throw this.failure(op, msg, err);
    }
  }

  private failure(op: Op, msg: string, cause: unknown): Error {
    const what = op.key === 'MSET' ? `MSET of ${op.records} keys` : `${String(op.args[0])} ${String(op.key)}`;
    if (op.kind === 'restore' && /payload version or checksum/i.test(msg)) {
      return this.handle.error(`${what}: the target cannot RESTORE DUMP payloads of the source (older Redis on the target?); set params.copy_method to "typed"`, cause);
    }
    if (/WRONGTYPE/.test(msg)) return this.handle.error(`${what}: the key exists with another type (write_mode "${this.mode}"): ${msg}`, cause);
    return this.handle.error(`${what} failed: ${msg}`, cause);
  }

  protected async release(): Promise<void> {
    await this.handle.close();
  }
}
