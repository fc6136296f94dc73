import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { GoshiftTestEnv, repoRoot } from './goshift-env';

/** Logical Redis database the scale-out tests queue in (each test has its own queue name). */
export const queueDb = 7;

/** A `goshift worker` process started by a test. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

/** Give `env`'s config a queue section on the local Redis with a unique name; returns the name. */
export function addQueueSection(env: GoshiftTestEnv, more: Record<string, unknown> = {}): string {
  const name = `gsq_${env.suffix}`;
  env.writeConfig({ queue: { host: '127.0.0.1', port: 6379, db: queueDb, name, stalled_interval_ms: 2000, max_stalled_count: 3, ...more } } as never);
  return name;
}

/** Start `goshift worker` on `env`'s config and wait until it listens to the queue. */
export async function startWorker(env: GoshiftTestEnv, concurrency = 2): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'goshift'), 'worker', '-c', env.configDir, '-e', 'test', '--concurrency', String(concurrency)], { cwd: env.configDir });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  for (let i = 0; i < 300 && !out.includes('taking shard jobs') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  if (!out.includes('taking shard jobs')) throw new Error(`goshift worker did not start: ${out}`);
  return { child, output: () => out, exited };
}

/** Stop workers (SIGKILL: a test's workers hold nothing worth a graceful stop) and delete the queue's keys. */
export async function cleanQueue(name: string, workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: queueDb });
  try {
    for (const pattern of [`bull:${name}:*`, `bull:${name}-runs:*`, `goshift:${name}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
