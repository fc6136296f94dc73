/** Integration test of test/support/redis-cluster.ts: real redis-server processes on loopback. */
import net from 'node:net';
import Redis, { Cluster } from 'ioredis';
import { startRedisCluster, startRedisServer, type RedisClusterHandle, type RedisServerHandle } from '../support/redis-cluster';

/** Resolves true when nothing accepts connections on 127.0.0.1:port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(true));
  });
}

/** A one-shot ioredis client that does not retry (so failures surface as rejections). */
function client(node: { host: string; port: number }, password?: string): Redis {
  const r = new Redis({ ...node, password, lazyConnect: true, retryStrategy: () => null,
    maxRetriesPerRequest: 0, enableReadyCheck: false });
  r.on('error', () => undefined);
  return r;
}

describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle | undefined;
  afterAll(async () => cluster?.stop());

  it('starts 3 masters that split the keyspace, and stop() shuts them all down', async () => {
    cluster = await startRedisCluster();
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);

    const c = new Cluster([cluster.nodes[0]]);
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `goshift:test:${i}`);
      await Promise.all(keys.map((k) => c.set(k, `v-${k}`)));
      expect(await c.get(keys[7])).toBe(`v-${keys[7]}`);
      expect(c.nodes('master')).toHaveLength(3);
    } finally {
      await c.quit();
    }

    const perNode = await Promise.all(cluster.nodes.map(async (n) => {
      const r = client(n);
      try { return await r.dbsize(); } finally { r.disconnect(); }
    }));
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(30);
    expect(perNode.every((count) => count > 0)).toBe(true); // landed on all 3 masters

    await cluster.stop();
    for (const n of cluster.nodes) expect(await refused(n.port)).toBe(true);
  });
});

describe('startRedisServer', () => {
  let server: RedisServerHandle | undefined;
  afterAll(async () => server?.stop());

  it('requires the password it was started with', async () => {
    server = await startRedisServer({ password: 's3cret' });

    const none = client(server);
    await none.connect();
    await expect(none.get('x')).rejects.toThrow(/NOAUTH/);
    await expect(none.auth('not-it')).rejects.toThrow(/WRONGPASS/);
    none.disconnect();

    // A client configured with the wrong password: ioredis reports WRONGPASS on 'error', while
    // connect() itself only rejects with "Connection is closed." (worth knowing for error messages).
    const wrong = new Redis({ ...server, password: 'not-it', lazyConnect: true, retryStrategy: () => null });
    const firstError = new Promise<Error>((resolve) => wrong.once('error', resolve));
    await expect(wrong.connect()).rejects.toThrow();
    expect((await firstError).message).toMatch(/WRONGPASS/);
    expect(wrong.status).toBe('end'); // already closed: disconnect() now would leave a 2 s timer behind

    const right = client(server, 's3cret');
    await right.connect();
    expect(await right.ping()).toBe('PONG');
    await right.quit();

    await server.stop();
    expect(await refused(server.port)).toBe(true);
  });

  it('starts without a password by default', async () => {
    const s = await startRedisServer();
    try {
      const r = client(s);
      await r.connect();
      await r.set('k', 'v');
      expect(await r.get('k')).toBe('v');
      await r.quit();
    } finally {
      await s.stop();
    }
  });
});
