import Redis from 'ioredis';
import { ReplicaLink } from '../../plugins/redis/replica/link';
import { StreamCommand } from '../../plugins/redis/replica/command-decoder';
import { SyncRefusedError } from '../../src/errors';
import { startTestRedis, TestRedis } from '../support/replica-redis';

jest.setTimeout(60000);

async function drain(link: ReplicaLink): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of link.payload()) parts.push(c);
  return Buffer.concat(parts);
}

/** Commands from the link until `until` matches one (other than PING / REPLCONF). */
async function collect(it: AsyncIterator<StreamCommand>, count: number): Promise<StreamCommand[]> {
  const out: StreamCommand[] = [];
  while (out.length < count) {
    const r = await it.next();
    if (r.done) break;
    const name = r.value.args[0].toString().toLowerCase();
    if (name !== 'ping' && name !== 'replconf' && name !== 'select') out.push(r.value);
  }
  return out;
}

describe.each([['diskless', 'yes'], ['disk-based', 'no']])('replication link, %s sync', (_label, diskless) => {
  let server: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startTestRedis([`repl-diskless-sync ${diskless}`, 'repl-diskless-sync-delay 0', 'rdbcompression no']);
    client = new Redis({ host: server.host, port: server.port });
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it('gets the snapshot, then the commands with offsets the master agrees with, and continues after a reconnect', async () => {
    await client.set('before', 'x'.repeat(1000));
    const link = new ReplicaLink({ host: server.host, port: server.port, where: 'test' });
    const start = await link.start();
    expect(start.full).toBe(true);
    const rdb = await drain(link);
    expect(rdb.subarray(0, 5).toString()).toBe('REDIS');
    expect(rdb.includes(Buffer.from('x'.repeat(1000)))).toBe(true);
    const it = link.commands()[Symbol.asyncIterator]();
    await client.set('a', '1');
    await client.del('before');
    const got = await collect(it, 2);
    expect(got.map((c) => c.args.map(String))).toEqual([['set', 'a', '1'], ['del', 'before']]);
    const masterOffset = Number(/master_repl_offset:(\d+)/.exec(await client.info('replication'))?.[1]);
    expect(got[1].end).toBe(masterOffset);
    const saved = { replid: start.replid, offset: got[1].end };
    await link.close();

    // Written while the link is down: PSYNC continues from the saved offset.
    await client.set('b', '2');
    await client.del('a');
    const again = new ReplicaLink({ host: server.host, port: server.port, where: 'test', resume: saved });
    const cont = await again.start();
    expect(cont.full).toBe(false);
    const more = await collect(again.commands()[Symbol.asyncIterator](), 2);
    expect(more.map((c) => c.args.map(String))).toEqual([['set', 'b', '2'], ['del', 'a']]);
    await again.close();
  });
});

describe('replication link refused', () => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startTestRedis(['rename-command PSYNC ""', 'rename-command SYNC ""']);
  });
  afterAll(async () => server.stop());

  it('says PSYNC was refused, as a SyncRefusedError', async () => {
    const link = new ReplicaLink({ host: server.host, port: server.port, where: 'test' });
    const err = await link.start().catch((e: Error) => e);
    await link.close();
    expect(err).toBeInstanceOf(SyncRefusedError);
    expect((err as Error).message).toMatch(/refused PSYNC \(ERR unknown command/);
  });
});
