import type { Cluster, Redis } from 'ioredis';

/** A key's full content, comparable with `toEqual`: type, value in a canonical order, TTL. */
export interface KeySnapshot {
  type: string;
  value: unknown;
  ttl: number;
}

/** Read one key completely (any type) as a {@link KeySnapshot}. */
export async function snapshotKey(client: Redis | Cluster, key: string): Promise<KeySnapshot> {
  const type = await client.type(key);
  const ttl = await client.pttl(key);
  let value: unknown;
  switch (type) {
    case 'string':
      value = await client.getBuffer(key);
      break;
    case 'hash': {
      const flat = await client.hgetallBuffer(key);
      value = Object.fromEntries(Object.entries(flat).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString('base64')]));
      break;
    }
    case 'list':
      value = (await client.lrangeBuffer(key, 0, -1)).map((b) => b.toString('base64'));
      break;
    case 'set':
      value = (await client.smembersBuffer(key)).map((b) => b.toString('base64')).sort();
      break;
    case 'zset':
      value = await client.zrange(key, 0, -1, 'WITHSCORES');
      break;
    case 'stream':
      value = await client.xrange(key, '-', '+');
      break;
    default:
      value = null;
  }
  return { type, value, ttl };
}

/** Keys matching a pattern on a standalone server or on every master of a Cluster, as bytes. */
export async function keyBuffersOf(client: Redis | Cluster, pattern: string): Promise<Buffer[]> {
  const nodes = 'nodes' in client && typeof (client as Cluster).nodes === 'function' && (client as Cluster).isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const out: Buffer[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 5000);
      out.push(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
  }
  return out;
}

/** Keys matching a pattern on a standalone server or on every master of a Cluster, as UTF-8 text. */
export async function keysOf(client: Redis | Cluster, pattern: string): Promise<string[]> {
  return (await keyBuffersOf(client, pattern)).map((k) => k.toString());
}

/**
 * Delete every key matching a pattern (standalone or Cluster). Keys are unlinked as bytes: a key
 * that is not UTF-8 (a test's binary key) would not survive a round trip through text.
 */
export async function deleteKeys(client: Redis | Cluster, pattern: string): Promise<void> {
  const keys = await keyBuffersOf(client, pattern);
  for (let i = 0; i < keys.length; i += 5000) await Promise.all(keys.slice(i, i + 5000).map((k) => client.unlink(k)));
}

/**
 * Fill `n` string keys `<prefix><i>` (~`size` bytes each) with pipelines of 5000.
 * On a Cluster, commands are routed per key by ioredis' auto-pipelining-free pipeline per slot.
 */
export async function fillStrings(client: Redis | Cluster, prefix: string, n: number, size = 20): Promise<void> {
  const pad = 'x'.repeat(Math.max(0, size - 10));
  for (let i = 0; i < n; i += 5000) {
    const ops: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) ops.push(client.set(`${prefix}${j}`, `${j}:${pad}`));
    await Promise.all(ops);
  }
}
