/**
 * The plain single-cursor scripts goshift's Redis benchmark compares against, run as their own
 * process (`node dist/bench/redis-peers.js <mget|dump|lean|read> <srcPort> <dstPort>`):
 * - `mget` and `dump` are written the way a user would write them with ioredis: SCAN COUNT 1000,
 *   then MGET + pipelined SET, or pipelined DUMP/PTTL + pipelined RESTORE.
 * - `lean` is the least a SCAN-based copier can do: SCAN COUNT 1000, MGET, one MSET per batch
 *   sent while the next batch is read, no TTLs, no checks.
 * - `read` only reads (SCAN + MGET) and writes nothing: the source server's share of any copy.
 */
import Redis from 'ioredis';

async function main(): Promise<void> {
  const [method, srcPort, dstPort] = process.argv.slice(2);
  const src = new Redis({ host: '127.0.0.1', port: Number(srcPort) });
  const dst = new Redis({ host: '127.0.0.1', port: Number(dstPort) });
  let cursor = '0';
  let writing: Promise<unknown> = Promise.resolve();
  do {
    const [next, keys] = await src.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    if (keys.length === 0) continue;
    if (method === 'lean' || method === 'read') {
      const values = await src.mgetBuffer(keys);
      if (method === 'read') continue;
      const pairs: Buffer[] = [];
      keys.forEach((k, i) => { if (values[i] !== null) pairs.push(k, values[i] as Buffer); });
      await writing;
      writing = dst.mset(...pairs);
    } else if (method === 'mget') {
      const values = await src.mgetBuffer(keys);
      const p = dst.pipeline();
      keys.forEach((k, i) => { if (values[i] !== null) p.set(k, values[i] as Buffer); });
      await p.exec();
    } else {
      const read = src.pipeline();
      for (const k of keys) {
        read.dumpBuffer(k);
        read.pttl(k);
      }
      const res = (await read.exec()) ?? [];
      const write = dst.pipeline();
      keys.forEach((k, i) => {
        const payload = res[2 * i][1] as Buffer | null;
        const ttl = Number(res[2 * i + 1][1]);
        if (payload) write.restore(k, ttl > 0 ? ttl : 0, payload, 'REPLACE');
      });
      await write.exec();
    }
  } while (cursor !== '0');
  await writing;
  src.disconnect();
  dst.disconnect();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
