/**
 * Redis -> Redis benchmark: `keys` string keys of ~100 bytes in a source redis-server, copied to a
 * second redis-server, both started here on free loopback ports (no persistence) and stopped at the
 * end. In one run: goshift with its default params (the CLI, peak memory sampled) and a
 * single-cursor SCAN + MGET + pipelined SET script, twice in alternating order (one ratio per
 * round), then a single-cursor SCAN + pipelined DUMP/RESTORE script, and `redis-benchmark -P 100 -t
 * set` as the SET ceiling of the target. A lean SCAN + MGET + MSET script shows the least a copier
 * can do with ioredis, and a read-only SCAN + MGET pass measures the source server's CPU: the floor
 * of any SCAN-based copy. Every copy is checked: DBSIZE and 2000 sampled values.
 * BENCH_PARAMS='{"worker_num":16}' overrides goshift's params; BENCH_ONLY=goshift skips the peers.
 *   node dist/bench/redis.js [--keys N]        (or: node dist/bench/run.js redis)
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { sendRaw } from '../plugins/redis/resp';
import { packageRoot } from '../src/paths';
import { Measured, printTable, processCpuSeconds, timeCommand } from './measure';

const META = 'goshift_bench_rmeta';
const VALUE_BYTES = 100;

export interface Server {
  port: number;
  proc: ChildProcess;
  dir: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startServer(): Promise<Server> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const client = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return { port, proc, dir };
    } catch {
      client.disconnect();
      if (i > 100) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function stopServer(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  await new Promise((r) => s.proc.once('exit', r));
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** Fill `n` keys `key:<i>` with ~100-byte values, 1000 per MSET. */
export async function fill(port: number, n: number): Promise<void> {
  const c = new Redis({ port });
  const pad = 'v'.repeat(VALUE_BYTES);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += 1000) {
    const args: (string | Buffer)[] = ['MSET'];
    for (let j = i; j < Math.min(n, i + 1000); j++) args.push(`key:${j}`, `${j}:${pad}`.slice(0, VALUE_BYTES));
    pending.push(sendRaw(c, args));
    if (pending.length >= 50) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  c.disconnect();
}

async function verify(srcPort: number, dstPort: number, n: number, name: string): Promise<void> {
  const src = new Redis({ port: srcPort });
  const dst = new Redis({ port: dstPort });
  const size = await dst.dbsize();
  if (size !== n) throw new Error(`${name}: target has ${size} keys, expected ${n}`);
  for (let i = 0; i < 2000; i++) {
    const k = `key:${Math.floor(Math.random() * n)}`;
    const [a, b] = await Promise.all([src.get(k), dst.get(k)]);
    if (a !== b) throw new Error(`${name}: ${k} differs`);
  }
  src.disconnect();
  dst.disconnect();
}

export async function flush(port: number): Promise<void> {
  const c = new Redis({ port });
  await c.flushall();
  c.disconnect();
}

/** Run the Redis benchmark and print its table. */
export async function runRedisBench(keys: number, params: Record<string, unknown> = process.env.BENCH_PARAMS ? JSON.parse(process.env.BENCH_PARAMS) : {}): Promise<void> {
  const source = await startServer();
  const target = await startServer();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-'));
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  try {
    process.stdout.write(`loading ${keys} keys of ~${VALUE_BYTES} bytes into redis-server :${source.port} (target :${target.port}) ...\n`);
    await fill(source.port, keys);
    const results: { name: string; m: Measured }[] = [];
    const check = async (name: string, m: Measured) => {
      await verify(source.port, target.port, keys, name);
      results.push({ name, m });
    };

    fs.writeFileSync(path.join(configDir, 'bench.json'), JSON.stringify({
      task_meta: { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: META },
      log: { level: 'warn', dir: '' },
      from: { redis: { bench_0: { host: '127.0.0.1', port: source.port } } },
      to: { redis: { bench_0: { host: '127.0.0.1', port: target.port } } },
    }));
    await admin.query(`CREATE DATABASE IF NOT EXISTS ${META}`);
    const goshift = `node ${path.join(packageRoot, 'bin', 'goshift')} -c ${configDir} -e bench`;
    await timeCommand(`${goshift} init-db`);
    await admin.query(`DELETE FROM ${META}.task_def_sync_manager WHERE id = 1`);
    await admin.query(
      `INSERT INTO ${META}.task_def_sync_manager (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, task_desc)
       VALUES (1, 'bench', 'bench', 'redis', 'redis', '0', '0', '*', '', ?, 'redis benchmark')`,
      [JSON.stringify(params)],
    );
    const peers = `node ${path.join(packageRoot, 'dist', 'bench', 'redis-peers.js')}`;
    const withPeers = process.env.BENCH_ONLY !== 'goshift';
    // goshift and the SCAN+MGET script in two rounds, the second in the other order, so neither
    // always meets the busier moment of a shared machine; each round gives one ratio.
    const rounds: { goshift: Measured; script?: Measured }[] = [];
    let readFloor: number | undefined;
    // CPU seconds of both redis-servers during a copy: on 2 cores they share the CPU with the client.
    const serversCpu = () => processCpuSeconds(source.proc.pid) + processCpuSeconds(target.proc.pid);
    const timed = async (command: string): Promise<Measured & { serversCpu: number }> => {
      const before = serversCpu();
      const m = await timeCommand(command, { trackMemory: true });
      return { ...m, serversCpu: serversCpu() - before };
    };
    for (let round = 1; round <= 2; round++) {
      const runGoshift = async (): Promise<Measured> => {
        await flush(target.port);
        const m = await timed(`${goshift} -id 1 --restart`);
        await check(`goshift w${params.worker_num ?? 4} (round ${round})`, m);
        process.stdout.write(`  goshift round ${round}: ${m.seconds.toFixed(2)} s, ${m.cpuSeconds!.toFixed(1)} CPU s, both redis-servers ${m.serversCpu.toFixed(1)} CPU s\n`);
        return m;
      };
      const runScript = async (): Promise<Measured> => {
        await flush(target.port);
        const m = await timed(`${peers} mget ${source.port} ${target.port}`);
        await check(`SCAN + MGET + pipelined SET (round ${round})`, m);
        process.stdout.write(`  script round ${round}: ${m.seconds.toFixed(2)} s, ${m.cpuSeconds!.toFixed(1)} CPU s, both redis-servers ${m.serversCpu.toFixed(1)} CPU s\n`);
        return m;
      };
      if (!withPeers) rounds.push({ goshift: await runGoshift() });
      else if (round === 1) rounds.push({ goshift: await runGoshift(), script: await runScript() });
      else {
        const script = await runScript();
        rounds.push({ goshift: await runGoshift(), script });
      }
    }
    if (withPeers) {
      await flush(target.port);
      await check('SCAN + pipelined DUMP/RESTORE', await timeCommand(`${peers} dump ${source.port} ${target.port}`));
      await flush(target.port);
      await check('lean script: SCAN + MGET + MSET', await timeCommand(`${peers} lean ${source.port} ${target.port}`));
      // The source server's own share of any SCAN-based copy: it is single-threaded, so no copier
      // that reads by SCAN + MGET can take less time than this CPU.
      const sourceBefore = processCpuSeconds(source.proc.pid);
      const read = await timeCommand(`${peers} read ${source.port} ${target.port}`);
      readFloor = processCpuSeconds(source.proc.pid) - sourceBefore;
      results.push({ name: 'SCAN + MGET only, nothing written', m: read });
      await flush(target.port);
      results.push({
        name: 'redis-benchmark -P 100 SET (ceiling)',
        m: await timeCommand(`redis-benchmark -h 127.0.0.1 -p ${target.port} -P 100 -t set -n ${keys} -d ${VALUE_BYTES} -r ${keys} -q`),
      });
    }
    printTable(`Redis -> Redis, ${keys} string keys (~${VALUE_BYTES} bytes each), copies verified (DBSIZE + 2000 sampled values)`, 'keys', keys, results);
    if (readFloor !== undefined) {
      const scripts = rounds.map((r) => r.script!.seconds);
      process.stdout.write(`source redis-server CPU for SCAN + MGET of every key, nothing written: ${readFloor.toFixed(2)} s = ${scripts.map((t) => (readFloor! / t).toFixed(2)).join(' and ')}x the SCAN+MGET script's time (the server is single-threaded: no copier that reads by SCAN + MGET can take less time)\n`);
    }
    for (const [i, r] of rounds.entries()) {
      const g = r.goshift;
      const vs = r.script ? `goshift / SCAN+MGET script ${(g.seconds / r.script.seconds).toFixed(2)}x time (${g.cpuSeconds!.toFixed(1)} against ${r.script.cpuSeconds!.toFixed(1)} CPU s), ` : '';
      process.stdout.write(`round ${i + 1}: ${vs}goshift peak RSS ${g.peakMiB!.toFixed(0)} MiB\n`);
    }
    process.stdout.write(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`goshift params: ${JSON.stringify(params)} (goshift's defaults unless set); both servers on this machine (${os.cpus().length} cores)\n`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${META}`).catch(() => undefined);
    await admin.end();
    fs.rmSync(configDir, { recursive: true, force: true });
    await stopServer(source);
    await stopServer(target);
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--keys');
  runRedisBench(at >= 0 ? Number(args[at + 1]) : 1_000_000).catch((err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
