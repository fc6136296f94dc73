/**
 * Throwaway Redis servers for integration tests: a real Redis Cluster (N masters, no replicas) or a
 * standalone server, each on free loopback ports in a fresh temp dir, with no persistence.
 * Needs `redis-server` and `redis-cli` on PATH (`bash scripts/services.sh redis` installs them).
 * Linux only (process liveness is read from /proc).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';
/** Redis Cluster nodes also listen on port + 10000 (the cluster bus). */
const BUS_OFFSET = 10000;

/** A loopback Redis endpoint. */
export interface RedisNode {
  host: string;
  port: number;
}

/** A running throwaway cluster; `stop()` shuts every node down and removes its temp dir. */
export interface RedisClusterHandle {
  nodes: RedisNode[];
  stop(): Promise<void>;
}

/** A running throwaway standalone server; `stop()` shuts it down and removes its temp dir. */
export interface RedisServerHandle extends RedisNode {
  stop(): Promise<void>;
}

/** One redis-server we started: where it listens, how to reach it, and its pid. */
interface Started {
  port: number;
  pid: number;
  password?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true when 127.0.0.1:`port` can be bound right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/**
 * Finds a free loopback TCP port (asks the OS for one). With `clusterBus`, port + 10000 must be
 * free too and below 65536. Ports in `exclude` are skipped. Racy by nature: bind soon after.
 */
export async function findFreePort(opts: { clusterBus?: boolean; exclude?: Set<number> } = {}): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, HOST, () => {
        const { port: p } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    if (opts.exclude?.has(port)) continue;
    if (opts.clusterBus && (port + BUS_OFFSET > 65535 || !(await canBind(port + BUS_OFFSET)))) continue;
    return port;
  }
  throw new Error('findFreePort: no free loopback port found after 100 attempts');
}

/** Runs redis-cli against one of our nodes (password via REDISCLI_AUTH, never on argv). */
async function cli(node: Pick<Started, 'port' | 'password'>, ...args: string[]): Promise<string> {
  const env = node.password ? { ...process.env, REDISCLI_AUTH: node.password } : process.env;
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(node.port), ...args], { env, timeout: 10_000 });
  return stdout.trim();
}

/** True while `pid` exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it resolves true; throws `what` after `ms`. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts one daemonized redis-server in `dir` and waits until it answers PING. */
async function startNode(dir: string, port: number, password: string | undefined, extra: string[]): Promise<Started> {
  const pidfile = join(dir, `${port}.pid`);
  const logfile = join(dir, `${port}.log`);
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--dir', dir, '--logfile', logfile, '--pidfile', pidfile, ...extra];
  if (password) args.push('--requirepass', password);
  try {
    await run('redis-server', args, { timeout: 10_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('redis-server not found on PATH; run `bash scripts/services.sh redis` to install it');
    }
    throw err;
  }
  const node: Started = { port, pid: 0, password };
  try {
    await waitFor(`redis-server on ${HOST}:${port}`, 10_000, async () => (await cli(node, 'ping')) === 'PONG');
    node.pid = Number((await readFile(pidfile, 'utf8')).trim());
  } catch (err) {
    const log = await readFile(logfile, 'utf8').catch(() => '');
    throw new Error(`${(err as Error).message}\n--- ${logfile} (tail) ---\n${log.split('\n').slice(-8).join('\n')}`);
  }
  return node;
}

/** Shuts a node down (SHUTDOWN NOSAVE, then SIGKILL if it lingers) and waits until it is gone. */
async function stopNode(node: Started): Promise<void> {
  await cli(node, 'shutdown', 'nosave').catch(() => undefined);
  try {
    await waitFor(`redis-server pid ${node.pid} to exit`, 5_000, async () => !(await alive(node.pid)));
  } catch {
    try {
      if (node.pid > 0) process.kill(node.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitFor(`redis-server pid ${node.pid} to die`, 5_000, async () => !(await alive(node.pid)));
  }
}

/** Starts all `ports` in parallel; if any fails, stops the ones that started and rethrows. */
async function startAll(dir: string, ports: number[], password: string | undefined,
  extra: (port: number) => string[]): Promise<Started[]> {
  const results = await Promise.allSettled(ports.map((p) => startNode(dir, p, password, extra(p))));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map(stopNode));
    throw failed.reason;
  }
  return started;
}

/** Returns a `stop()` that runs once: stops every node, then removes `dir`. */
function stopper(nodes: Started[], dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= Promise.all(nodes.map(stopNode)).then(() => rm(dir, { recursive: true, force: true })));
}

/**
 * Starts a throwaway Redis Cluster on loopback: `masters` (default 3, the minimum Redis allows)
 * cluster-enabled redis-servers, joined with `redis-cli --cluster create --cluster-replicas 0`.
 * Ports are free ones picked by the OS, or `basePort`, `basePort + 1`, ... when given (each port
 * + 10000 is the cluster bus and must be free too). Resolves once `CLUSTER INFO` reports
 * `cluster_state:ok` and every node knows all the others. Always `await handle.stop()` (e.g. in
 * afterAll): it shuts every node down and deletes the temp dir.
 */
export async function startRedisCluster(opts: { masters?: number; basePort?: number } = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`startRedisCluster: masters must be >= 3, got ${masters}`);
  const ports: number[] = [];
  if (opts.basePort !== undefined) {
    for (let p = opts.basePort; p < opts.basePort + masters; p++) {
      if (!(await canBind(p)) || !(await canBind(p + BUS_OFFSET))) {
        throw new Error(`startRedisCluster: port ${p} or its cluster bus port ${p + BUS_OFFSET} is in use`);
      }
      ports.push(p);
    }
  } else {
    while (ports.length < masters) ports.push(await findFreePort({ clusterBus: true, exclude: new Set(ports) }));
  }
  const dir = await mkdtemp(join(tmpdir(), 'goshift-redis-cluster-'));
  let nodes: Started[] = [];
  try {
    nodes = await startAll(dir, ports, undefined, (p) =>
      ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${p}.conf`)]);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitFor('cluster_state:ok on every node', 30_000, async () => {
      const infos = await Promise.all(nodes.map((n) => cli(n, 'cluster', 'info')));
      return infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${masters}`));
    });
  } catch (err) {
    await stopper(nodes, dir)();
    throw err;
  }
  return { nodes: ports.map((port) => ({ host: HOST, port })), stop: stopper(nodes, dir) };
}

/**
 * Starts a throwaway standalone redis-server on a free loopback port (no persistence), optionally
 * requiring `password` (requirepass). Resolves once it answers PING. Always `await server.stop()`.
 */
export async function startRedisServer(opts: { password?: string } = {}): Promise<RedisServerHandle> {
  const port = await findFreePort();
  const dir = await mkdtemp(join(tmpdir(), 'goshift-redis-'));
  let nodes: Started[] = [];
  try {
    nodes = await startAll(dir, [port], opts.password, () => []);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { host: HOST, port, stop: stopper(nodes, dir) };
}
