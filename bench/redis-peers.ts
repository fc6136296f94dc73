/**
 * The plain single-cursor scripts goshift's Redis benchmark compares against, run as their own
 * process (`node dist/bench/redis-peers.js <mget|dump> <srcPort> <dstPort>`), written the way a
 * user would write them with ioredis: SCAN COUNT 1000, then MGET + pipelined SET, or pipelined
 * DUMP/PTTL + pipelined RESTORE.
 */
import Redis from 'ioredis';

async function main(): Promise<void> {
  const [method, srcPort, dstPort] = process.argv.slice(2);
  const src = new Redis({ host: '127.0.0.1', port: Number(srcPort) });
  const dst = new Redis({ host: '127.0.0.1', port: Number(dstPort) });
  let cursor = '0';
  do {
    const [next, keys] = await src.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    if (keys.length === 0) continue;
    if (method === 'mget') {
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
  src.disconnect();
  dst.disconnect();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
