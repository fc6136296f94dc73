/**
 * Redis change feed benchmark (`-mode stream`): the sustained changes/s goshift keeps up with.
 * A source and a target redis-server are started here (free loopback ports, no persistence),
 * `keys` string keys are loaded, and `goshift -mode stream` runs redis -> redis. After its
 * catch-up, a load generator updates random keys of the `keys` at a fixed rate, step by step
 * (each step `STEP_SECONDS`), while a probe writes a timestamped key every 200 ms and times how
 * long it takes to appear in the target: that is the lag a user sees. A step is kept up with when
 * every probe arrived within 1 s. At the end the target is checked (DBSIZE + 2000 sampled values)
 * and the run is stopped with SIGTERM (exit 0).
 *   node dist/bench/run.js redis-stream [--keys N] [--rates 2000,5000,...]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/paths';
import { fill, startServer, stopServer } from './redis';
import { timeCommand } from './measure';

const META = 'goshift_bench_smeta';
const STEP_SECONDS = 10;
const PROBE_MS = 200;
const DEFAULT_RATES = [2_000, 5_000, 10_000, 20_000, 40_000, 80_000];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One load step's result. */
interface Step {
  rate: number;
  achieved: number;
  probes: number[];
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;
}

/** Update random keys at `rate` changes/s for `seconds`, pipelined every 10 ms; resolves to the rate achieved. */
async function generate(client: Redis, keys: number, rate: number, seconds: number, step: number): Promise<number> {
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    if (due > sent) {
      const p = client.pipeline();
      for (; sent < due; sent++) p.set(`key:${Math.floor(Math.random() * keys)}`, `step${step}:${sent}`);
      await p.exec();
    }
    await sleep(10);
  }
  return sent / ((Date.now() - start) / 1000);
}

/** Write a timestamped probe key every PROBE_MS until `stop()`; each probe's lag is how long until the target has it. */
function probe(src: Redis, dst: Redis): { stop(): Promise<number[]> } {
  const lags: number[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const key = `probe:${n++}`;
      const value = String(Date.now());
      const at = Date.now();
      await src.set(key, value);
      for (;;) {
        if ((await dst.get(key)) === value) break;
        if (Date.now() - at > 30_000) break;
        await sleep(5);
      }
      lags.push(Date.now() - at);
      await src.del(key);
      const wait = PROBE_MS - (Date.now() - at);
      if (wait > 0) await sleep(wait);
    }
  })();
  return { async stop() { running = false; await loop; return lags; } };
}

/** Run the benchmark and print its table. */
export async function runRedisStreamBench(keys: number, rates: number[] = DEFAULT_RATES): Promise<void> {
  const source = await startServer();
  const target = await startServer();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-stream-'));
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  const src = new Redis({ port: source.port });
  const dst = new Redis({ port: target.port });
  const load = new Redis({ port: source.port });
  let child: ReturnType<typeof spawn> | undefined;
  try {
    process.stdout.write(`loading ${keys} keys into redis-server :${source.port} (target :${target.port}) ...\n`);
    await fill(source.port, keys);
    fs.writeFileSync(path.join(configDir, 'bench.json'), JSON.stringify({
      task_meta: { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: META },
      log: { level: 'warn', dir: '' },
      from: { redis: { bench_0: { host: '127.0.0.1', port: source.port } } },
      to: { redis: { bench_0: { host: '127.0.0.1', port: target.port } } },
    }));
    await admin.query(`CREATE DATABASE IF NOT EXISTS ${META}`);
    const goshift = [path.join(packageRoot, 'bin', 'goshift'), '-c', configDir, '-e', 'bench'];
    await timeCommand(`node ${goshift.join(' ')} init-db`);
    await admin.query(`DELETE FROM ${META}.task_def_sync_manager WHERE id = 1`);
    await admin.query(
      `INSERT INTO ${META}.task_def_sync_manager (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, task_desc)
       VALUES (1, 'bench', 'bench', 'redis', 'redis', '0', '0', '*', '', ?, 'redis stream benchmark')`,
      [JSON.stringify({ enable_notifications: true })],
    );
    const started = Date.now();
    child = spawn(process.execPath, [...goshift, '-id', '1', '-mode', 'stream'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number>((resolve) => child!.on('exit', (c) => resolve(c ?? -1)));
    while ((await dst.dbsize()) < keys) {
      if (child.exitCode !== null) throw new Error(`goshift exited during the catch-up:\n${stderr}`);
      await sleep(100);
    }
    process.stdout.write(`catch-up of ${keys} keys: ${((Date.now() - started) / 1000).toFixed(1)} s (start-up included)\n`);

    const steps: Step[] = [];
    for (const [i, rate] of rates.entries()) {
      const p = probe(src, dst);
      const achieved = await generate(load, keys, rate, STEP_SECONDS, i);
      const probes = (await p.stop()).sort((a, b) => a - b);
      steps.push({ rate, achieved, probes });
      const s = steps[steps.length - 1];
      process.stdout.write(`  ${rate} changes/s asked, ${Math.round(achieved)} sent: probe lag p50 ${percentile(probes, 50)} ms, p95 ${percentile(probes, 95)} ms, max ${probes[probes.length - 1]} ms\n`);
      if (s.probes[s.probes.length - 1] > 5000) break; // far behind: higher rates say nothing more
      // Let the feed drain before the next step.
      await sleep(2000);
    }

    // The target must end equal to the source.
    await sleep(3000);
    const [a, b] = [await src.dbsize(), await dst.dbsize()];
    if (a !== b) throw new Error(`target has ${b} keys, source ${a}`);
    for (let i = 0; i < 2000; i++) {
      const k = `key:${Math.floor(Math.random() * keys)}`;
      const [x, y] = await Promise.all([src.get(k), dst.get(k)]);
      if (x !== y) throw new Error(`${k} differs after the load: source ${x}, target ${y}`);
    }
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`goshift exited ${code} on SIGTERM:\n${stderr}`);
    child = undefined;
    const rescans = (stderr.match(/re-scanning/g) ?? []).length;

    process.stdout.write(`\nRedis change feed (-mode stream, redis -> redis), ${keys} keys updated at random, ${STEP_SECONDS} s per step, probe every ${PROBE_MS} ms\n`);
    process.stdout.write(`${'asked/s'.padStart(9)}${'sent/s'.padStart(9)}${'lag p50 ms'.padStart(12)}${'p95 ms'.padStart(9)}${'max ms'.padStart(9)}  kept up (max < 1 s)\n`);
    for (const s of steps) {
      const max = s.probes[s.probes.length - 1];
      process.stdout.write(`${String(s.rate).padStart(9)}${String(Math.round(s.achieved)).padStart(9)}${String(percentile(s.probes, 50)).padStart(12)}${String(percentile(s.probes, 95)).padStart(9)}${String(max).padStart(9)}  ${max < 1000 ? 'yes' : 'no'}\n`);
    }
    const kept = steps.filter((s) => s.probes[s.probes.length - 1] < 1000).map((s) => Math.round(s.achieved));
    process.stdout.write(`sustained: ${kept.length ? Math.max(...kept) : 0} changes/s with every probe under 1 s; re-scans: ${rescans}; target verified (DBSIZE + 2000 sampled values); SIGTERM exit 0; ${os.cpus().length} cores shared by both servers, goshift and the load generator\n`);
  } finally {
    child?.kill('SIGKILL');
    src.disconnect();
    dst.disconnect();
    load.disconnect();
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
  const r = args.indexOf('--rates');
  runRedisStreamBench(at >= 0 ? Number(args[at + 1]) : 100_000, r >= 0 ? args[r + 1].split(',').map(Number) : DEFAULT_RATES).catch((err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
