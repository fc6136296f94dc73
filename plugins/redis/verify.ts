import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { PluginContext, VerifyFactory, VerifyOptions, VerifyReport } from '../../src/sdk';
import { TaskError } from '../../src/sdk';
import { RedisHandle, openRedis } from './client';
import { keyPattern, redisParams } from './config';

/** Keys compared per pipeline round trip. */
const keyBatch = 500;

/** What one side holds for a key: its type, a digest of its value, its PTTL (-1 = no expiry). */
interface KeyState {
  type: string;
  digest: string;
  pttl: number;
}

/** Which keys of a task are compared: the pattern, prefixes and types of its params. */
interface KeyFilter {
  pattern: string;
  allow: Buffer[];
  deny: Buffer[];
  types: Set<string> | null;
}

function keyFilter(ctx: PluginContext): KeyFilter {
  const p = redisParams(ctx);
  if (p.mode !== 'scan') throw new TaskError(`task ${ctx.task.id}: goshift verify compares scan-mode redis tasks only (params.mode is "${p.mode}")`);
  return {
    pattern: keyPattern(ctx),
    allow: p.key_prefixes.map((s) => Buffer.from(s)),
    deny: p.exclude_prefixes.map((s) => Buffer.from(s)),
    types: p.types.length ? new Set(p.types) : null,
  };
}

const startsWith = (key: Buffer, prefix: Buffer) => key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);

function wanted(f: KeyFilter, key: Buffer): boolean {
  if (f.allow.length && !f.allow.some((p) => startsWith(key, p))) return false;
  return !f.deny.some((p) => startsWith(key, p));
}

/** Every key of a side matching the filter's pattern and prefixes, in batches (SCAN on each master). */
async function* scanKeys(handle: RedisHandle, f: KeyFilter): AsyncIterable<Buffer[]> {
  for (const node of handle.masters()) {
    let cursor = '0';
    do {
      const [next, keys] = (await node.client.callBuffer('SCAN', [cursor, 'MATCH', f.pattern, 'COUNT', 1000])) as [Buffer, Buffer[]];
      cursor = next.toString();
      const kept = keys.filter((k) => wanted(f, k));
      if (kept.length) yield kept;
    } while (cursor !== '0');
  }
}

/** Keys grouped by the node that owns them (one group when standalone). */
function byNode(handle: RedisHandle, keys: Buffer[]): Map<Redis, Buffer[]> {
  const out = new Map<Redis, Buffer[]>();
  for (const k of keys) {
    const node = handle.nodeForKey(k);
    const list = out.get(node) ?? [];
    list.push(k);
    out.set(node, list);
  }
  return out;
}

/** Feed a reply (Buffers, numbers, nested arrays) into a hash with length prefixes, so no two values collide by concatenation. */
function feed(h: ReturnType<typeof createHash>, v: unknown): void {
  if (Array.isArray(v)) {
    h.update(`[${v.length}:`);
    for (const x of v) feed(h, x);
    h.update(']');
    return;
  }
  const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
  h.update(`${b.length}:`);
  h.update(b);
}

/** The command reading a whole value of a type, in an order that is the same for equal values. */
function valueCommand(type: string): [string, (string | number)[]] {
  switch (type) {
    case 'string': return ['GET', []];
    case 'hash': return ['HGETALL', []];
    case 'list': return ['LRANGE', [0, -1]];
    case 'set': return ['SMEMBERS', []];
    case 'zset': return ['ZRANGE', [0, -1, 'WITHSCORES']];
    default: return ['XRANGE', ['-', '+']];
  }
}

/** Digest of a value reply; hash fields and set members are sorted first (their order is not defined). */
function digest(type: string, reply: unknown): string {
  let v = reply;
  if (type === 'set') v = [...(reply as Buffer[])].sort(Buffer.compare);
  if (type === 'hash') {
    const r = reply as Buffer[];
    const pairs: Buffer[][] = [];
    for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
    v = pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  }
  const h = createHash('sha1');
  h.update(type);
  feed(h, v);
  return h.digest('hex');
}

/** Type, value digest and PTTL of keys on one side (absent keys are left out). */
async function states(handle: RedisHandle, keys: Buffer[]): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  for (const [node, list] of byNode(handle, keys)) {
    const meta = node.pipeline();
    for (const k of list) meta.callBuffer('TYPE', [k]).pttl(k);
    const metaReplies = (await meta.exec()) ?? [];
    const types = list.map((_, i) => String(metaReplies[2 * i][1]));
    const pttls = list.map((_, i) => Number(metaReplies[2 * i + 1][1]));
    const values = node.pipeline();
    const present = list.map((_, i) => i).filter((i) => types[i] !== 'none');
    for (const i of present) {
      const [cmd, args] = valueCommand(types[i]);
      values.callBuffer(cmd, [list[i], ...args]);
    }
    const valueReplies = present.length ? (await values.exec()) ?? [] : [];
    present.forEach((i, j) => {
      const [err, reply] = valueReplies[j];
      if (err) throw handle.wrap(err, `reading ${list[i].toString()}`);
      out.set(list[i].toString('latin1'), { type: types[i], digest: digest(types[i], reply), pttl: pttls[i] });
    });
  }
  return out;
}

interface Diffs {
  missing: Buffer[];
  extra: Buffer[];
  different: Buffer[];
}

const ttlDiffers = (a: number, b: number, tolerance: number) => (a < 0 || b < 0 ? a !== b : Math.abs(a - b) > tolerance);

/** Compare `keys` (read from the source) on both sides; returns how many were equal. */
async function compare(src: RedisHandle, dst: RedisHandle, f: KeyFilter, keys: Buffer[], diffs: Diffs, tolerance: number, gone: 'extra' | 'skip'): Promise<number> {
  const [s, t] = await Promise.all([states(src, keys), states(dst, keys)]);
  let equal = 0;
  for (const k of keys) {
    const id = k.toString('latin1');
    const a = s.get(id);
    const b = t.get(id);
    if (!a) {
      // Gone from the source since the scan (expired, deleted): the target scan finds it as extra;
      // a recheck after a repair reports it itself.
      if (gone === 'extra' && b && (!f.types || f.types.has(b.type))) diffs.extra.push(k);
      continue;
    }
    if (f.types && !f.types.has(a.type)) continue;
    if (!b) diffs.missing.push(k);
    else if (a.type !== b.type || a.digest !== b.digest || ttlDiffers(a.pttl, b.pttl, tolerance)) diffs.different.push(k);
    else equal++;
  }
  return equal;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Copy keys by DUMP/RESTORE REPLACE with their remaining TTL; delete `extra` when asked. */
async function repair(src: RedisHandle, dst: RedisHandle, diffs: Diffs, deleteExtra: boolean): Promise<{ copied: number; deleted: number }> {
  let copied = 0;
  let deleted = 0;
  for (const k of [...diffs.missing, ...diffs.different]) {
    const node = src.nodeForKey(k);
    const [payload, pttl] = await Promise.all([node.dumpBuffer(k), node.pttl(k)]);
    if (!payload) continue;
    await dst.nodeForKey(k).restore(k, pttl > 0 ? pttl : 0, payload, 'REPLACE');
    copied++;
  }
  if (deleteExtra) for (const k of diffs.extra) deleted += await dst.nodeForKey(k).del(k);
  return { copied, deleted };
}

/**
 * redis -> redis verify: every source key matching the task (pattern, prefixes, types) is compared
 * on both sides by type, a digest of its whole value and its TTL (within `ttlToleranceMs`); the
 * target is then scanned for keys the source does not have. Values are read whole: a collection
 * is held in memory while it is hashed.
 */
export const redisVerify: VerifyFactory = {
  async verify(sctx, tctx, opts: VerifyOptions): Promise<VerifyReport> {
    const f = keyFilter(sctx);
    const tolerance = opts.ttlToleranceMs ?? 1000;
    const src = await openRedis(sctx, 'source');
    let dst: RedisHandle | undefined;
    try {
      dst = await openRedis(tctx, 'target');
      const diffs: Diffs = { missing: [], extra: [], different: [] };
      let checked = 0;
      let equal = 0;
      let sourceRows = 0;
      let targetRows = 0;
      for await (const batch of scanKeys(src, f)) {
        if (opts.signal.aborted) throw opts.signal.reason ?? new Error('verify aborted');
        for (const keys of chunks(batch, keyBatch)) {
          const before = diffs.missing.length + diffs.different.length;
          const eq = await compare(src, dst, f, keys, diffs, tolerance, 'skip');
          const compared = eq + diffs.missing.length + diffs.different.length - before;
          checked += compared;
          equal += eq;
          sourceRows += compared;
        }
      }
      targetRows = sourceRows - diffs.missing.length;
      for await (const batch of scanKeys(dst, f)) {
        for (const keys of chunks(batch, keyBatch)) {
          const onSource = new Map<string, number>();
          for (const [node, list] of byNode(src, keys)) {
            const p = node.pipeline();
            for (const k of list) p.exists(k);
            const replies = (await p.exec()) ?? [];
            list.forEach((k, i) => onSource.set(k.toString('latin1'), Number(replies[i][1])));
          }
          const absent = keys.filter((k) => !onSource.get(k.toString('latin1')));
          if (!absent.length) continue;
          const kinds = f.types ? await states(dst, absent) : null;
          for (const k of absent) {
            const st = kinds?.get(k.toString('latin1'));
            if (kinds && (!st || !f.types!.has(st.type))) continue;
            diffs.extra.push(k);
            targetRows++;
            checked++;
          }
        }
      }
      const show = (ks: Buffer[]) => ks.map((k) => k.toString());
      const report: VerifyReport = {
        unit: 'keys', checked, equal, differing: checked - equal, sourceRows, targetRows,
        missing: show(diffs.missing), extra: show(diffs.extra), different: show(diffs.different),
      };
      if (opts.repair && checked !== equal) {
        const done = await repair(src, dst, diffs, opts.deleteExtra);
        const again: Diffs = { missing: [], extra: [], different: [] };
        const touched = [...diffs.missing, ...diffs.different, ...diffs.extra];
        for (const keys of chunks(touched, keyBatch)) await compare(src, dst, f, keys, again, tolerance, 'extra');
        report.repair = { ...done, rechecked: touched.length, stillDiffering: show([...again.missing, ...again.different, ...again.extra]) };
      }
      return report;
    } finally {
      await src.close();
      await dst?.close();
    }
  },
};
