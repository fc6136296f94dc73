import type { Redis } from 'ioredis';
import type { Batch, PluginContext, SyncRecord, WriterFactory, WriterSession } from '../../src/contract';
import { TaskError, WriteError } from '../../src/errors';
import { RedisParams, redisParams } from './config';
import { openRedis, RedisHandle } from './client';
import { KeyTemplate, RowToRedis } from './mapping';
import { flattenValue, RedisRecord } from './records';
import { RespArg, sendRaw } from './resp';
import { writeTypedScript } from './scripts';
import { sameSlotKey } from './slot';

const WRITE_MODES = ['replace', 'skip_existing', 'merge'];

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

/** Key template of a mysql->redis task: params.key_template, else a to_table with placeholders. */
function templateOf(ctx: PluginContext): string {
  const p = redisParams(ctx);
  if (p.key_template) return p.key_template;
  const t = (ctx.task.to_table ?? '').trim();
  return t.includes('{') ? t : '';
}

/** Writes Redis: records from another Redis (typed or DUMP payloads) or rows mapped by key template. */
export class RedisWriter implements WriterFactory {
  async validate(ctx: PluginContext): Promise<void> {
    const mode = ctx.params.write_mode;
    if (mode && !WRITE_MODES.includes(mode)) {
      throw new TaskError(`task ${ctx.task.id}: params.write_mode must be one of ${WRITE_MODES.map((m) => `"${m}"`).join(', ')} for a redis target, got "${mode}"`);
    }
    if (ctx.peerType !== 'redis' && isRowPeer(ctx)) {
      const template = templateOf(ctx);
      if (!template) throw new TaskError(`task ${ctx.task.id}: a ${ctx.peerType}->redis task needs params.key_template (e.g. "user:{id}") or a to_table with {column} placeholders`);
      if (new KeyTemplate(template).columns.length === 0) throw new TaskError(`task ${ctx.task.id}: params.key_template "${template}" has no {column} placeholder`);
    }
    const handle = await openRedis(ctx, 'target');
    await handle.close();
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

/** Stores whose records are rows (mapped with key_template) rather than `{key, type, value, ttl_ms}`. */
function isRowPeer(ctx: PluginContext): boolean {
  return ctx.peerType === 'mysql';
}

class RedisWriterSession implements WriterSession {
  private readonly p: RedisParams;
  private readonly mode: WriteMode;
  private readonly rows: RowToRedis | null;
  private readonly skippedChunks = new Set<string>();
  private closed = false;

  constructor(ctx: PluginContext, private readonly handle: RedisHandle) {
    this.p = redisParams(ctx);
    this.mode = (ctx.params.write_mode || 'replace') as WriteMode;
    this.rows = isRowPeer(ctx) ? new RowToRedis(this.p, templateOf(ctx)) : null;
  }

  async write(batch: Batch): Promise<number> {
    if (this.closed) throw new WriteError('redis writer session is closed');
    if (batch.records.length === 0) return 0;
    const ops = this.rows ? this.rowOps(batch.records) : await this.recordOps(batch.records);
    return this.execute(ops);
  }

  async flush(): Promise<void> {
    // Every write() resolves after Redis acknowledged it: nothing is buffered.
  }

  private how(): string {
    return this.mode;
  }

  private rowOps(rows: SyncRecord[]): Op[] {
    const ops: Op[] = [];
    for (const row of rows) {
      let v;
      try {
        v = this.rows!.convert(row);
      } catch (err) {
        throw this.handle.error((err as Error).message, err);
      }
      const key = v.key;
      ops.push({
        node: this.handle.nodeForKey(key),
        args: ['EVALSHA', writeTypedScript.shaFor(this.handle.info.major), 2, key, key, v.type, this.how(), v.ttlMs > 0 ? v.ttlMs : 0, ...v.args],
        records: 1,
        kind: 'script',
        key,
      });
    }
    return ops;
  }

  private async recordOps(records: SyncRecord[]): Promise<Op[]> {
    const ops: Op[] = [];
    const standalone = !this.handle.cluster;
    const mset: RespArg[] | null = standalone && this.mode !== 'skip_existing' ? ['MSET'] : null;
    for (const r of records as unknown as RedisRecord[]) {
      const key = typeof r.key === 'string' || Buffer.isBuffer(r.key) ? r.key : String(r.key);
      const ttl = typeof r.ttl_ms === 'number' && r.ttl_ms > 0 ? Math.round(r.ttl_ms) : 0;
      if (r.chunk) {
        ops.push(...(await this.chunkOps(r, key, ttl)));
        continue;
      }
      if (r.dump) {
        const args: RespArg[] = ['RESTORE', key, ttl, r.value as Buffer];
        if (this.mode !== 'skip_existing') args.push('REPLACE');
        ops.push({ node: this.handle.nodeForKey(key), args, records: 1, kind: 'restore', key });
        continue;
      }
      if (r.type === 'string') {
        const value = r.value === null || r.value === undefined ? '' : Buffer.isBuffer(r.value) || typeof r.value === 'string' ? r.value : String(r.value);
        if (this.mode === 'skip_existing') {
          ops.push({ node: this.handle.nodeForKey(key), args: ttl ? ['SET', key, value, 'PX', ttl, 'NX'] : ['SET', key, value, 'NX'], records: 1, kind: 'nx', key });
        } else if (!ttl && mset) {
          mset.push(key, value);
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
    if (mset && mset.length > 1) ops.push({ node: this.handle.client as Redis, args: mset, records: (mset.length - 1) / 2, kind: 'all', key: 'MSET' });
    return ops;
  }

  /** One page of a big collection: build it under a temp key, rename over the key on the last page. */
  private async chunkOps(r: RedisRecord, key: Buffer | string, ttl: number): Promise<Op[]> {
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
