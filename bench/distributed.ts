/**
 * Overhead of the queue (`--distributed`) on the cross-server copy: the `rows`-row orders table on
 * the shared MariaDB (3306) copied to a private MariaDB, in one run: goshift on its local pool,
 * then distributed with 1 and with 3 `goshift worker`s (`--concurrency` worker_num / workers) on the local Redis
 * (db 7, a queue named for this run), then the local pool again. Every copy goes into an empty target and is checked with
 * CHECKSUM TABLE. Prints seconds, the ratio to the local pool, and the queue latency per shard
 * (ms from the coordinator releasing a shard job to a worker starting it) the coordinator logs.
 *   node dist/bench/run.js distributed [--rows N]     BENCH_PARAMS='{"worker_num":8}' overrides params
 */
import { ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/paths';
import { DST, load, openCrossServer, resetTarget, setUpBenchTask } from './cross-server';
import { Measured, timeCommand } from './measure';
import { checksum } from './mysql';

const META = 'goshift_bench_qmeta';

/** Start `n` workers running `concurrency` shards each, and wait until each listens to the queue. */
async function startWorkers(bin: string, configDir: string, n: number, concurrency: number): Promise<ChildProcess[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'worker', '-c', configDir, '-e', 'bench', '--concurrency', String(concurrency), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer): void => {
      out += String(d);
      if (out.includes('taking shard jobs')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`goshift worker exited (${code}): ${out}`)));
  })));
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    if (w.exitCode !== null) return resolve();
    w.removeAllListeners('exit');
    w.on('exit', () => resolve());
    w.kill('SIGTERM');
  })));
}

/** Run the queue-overhead benchmark and print its table. */
export async function runDistributedBench(rows: number, params: Record<string, unknown> = process.env.BENCH_PARAMS ? JSON.parse(process.env.BENCH_PARAMS) : {}): Promise<void> {
  const cross = await openCrossServer(rows);
  const { expected, server, configDir } = cross;
  const queueName = `goshift_bench_${process.pid}`;
  let target: mysql.Connection | undefined;
  try {
    target = await server.connect();
    const bin = path.join(packageRoot, 'bin', 'goshift');
    const goshift = await setUpBenchTask(cross, META, params, 'queue overhead benchmark', {
      extraConfig: { queue: { host: '127.0.0.1', port: 6379, db: 7, name: queueName } },
    });
    process.stdout.write(`queue overhead: source 127.0.0.1:3306, target private MariaDB 127.0.0.1:${server.port}, queue redis 127.0.0.1:6379/7 "${queueName}" (load ${load()})\n`);
    const workerNum = Number(params.worker_num ?? 4);
    const results: { name: string; m: Measured; latency: string; load: string }[] = [];
    const copy = async (name: string, workers: number): Promise<void> => {
      await resetTarget(target!, true);
      // Enough slots over the workers for every shard in flight: a released shard never waits for a
      // busy worker, so the latency is the queue's own.
      const started = workers > 0 ? await startWorkers(bin, configDir, workers, Math.ceil(workerNum / workers)) : [];
      try {
        const m = await timeCommand(`${goshift} -id 1 ${workers > 0 ? '--distributed --log-level info' : ''}`, { trackMemory: true });
        const got = await checksum(target!, DST);
        if (got !== expected) throw new Error(`${name}: target checksum ${got} differs from source ${expected}`);
        const lat = /queue latency per shard: (median \d+ ms, p95 \d+ ms, max \d+ ms)/.exec(m.stderr ?? '');
        results.push({ name, m, latency: lat ? lat[1] : '-', load: load() });
        process.stdout.write(`  ${name}: ${m.seconds.toFixed(2)} s${lat ? `, queue latency ${lat[1]}` : ''} (load ${load()})\n`);
      } finally {
        await stopWorkers(started);
      }
    };
    // The first copy also warms both servers' buffer pools: the local pool runs first and last, so
    // the order's effect shows between its two times.
    await copy('local pool', 0);
    await copy('distributed, 1 worker', 1);
    await copy('distributed, 3 workers', 3);
    await copy('local pool, again', 0);
    const local = results[0];
    process.stdout.write(`\nQueue overhead, MySQL -> MySQL across servers, ${rows} rows, all copies verified by CHECKSUM TABLE\n`);
    process.stdout.write(`${'method'.padEnd(26)}${'seconds'.padStart(9)}${'rows/s'.padStart(10)}${'vs local'.padStart(10)}${'coord. CPU s'.padStart(14)}  queue latency per shard                 load (1/5/15 min)\n`);
    for (const { name, m, latency, load: l } of results) {
      process.stdout.write(`${name.padEnd(26)}${m.seconds.toFixed(2).padStart(9)}${Math.round(rows / m.seconds).toString().padStart(10)}${`${(m.seconds / local.m.seconds).toFixed(2)}x`.padStart(10)}${(m.cpuSeconds ?? 0).toFixed(1).padStart(14)}  ${latency.padEnd(40)}${l}\n`);
    }
    process.stdout.write(`(vs local = time / local pool time; ${os.cpus().length} cores, both servers, Redis and every worker on this machine; coord. CPU s = the goshift run process only)\n`);
    process.stdout.write(`goshift params: ${JSON.stringify(params)}\n`);
  } finally {
    await target?.end().catch(() => undefined);
    await cross.close(META);
  }
}
