/**
 * A throwaway redis-server with extra config (repl-diskless-sync, rdbcompression,
 * rdb-key-save-delay, rename-command ...) for tests of the replica reader. Free loopback port, own
 * temp dir; `stop()` shuts it down and removes the dir; `kill()` is a kill -9 of goshift's peer only.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { findFreePort } from './redis-cluster';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running redis-server started by a test. */
export interface TestRedis {
  host: string;
  port: number;
  /** Stop it and remove its dir. Idempotent. */
  stop(): Promise<void>;
}

/** Start redis-server with `config` lines (redis.conf syntax) on a free loopback port. */
export async function startTestRedis(config: string[] = []): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'goshift-test-redis-'));
  const port = await findFreePort();
  const conf = join(dir, 'redis.conf');
  await writeFile(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', ...config].join('\n') + '\n');
  const child: ChildProcess = spawn('redis-server', [conf], { stdio: 'ignore' });
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      ready = (await probe.ping()) === 'PONG';
    } catch {
      await sleep(100);
    } finally {
      probe.disconnect();
    }
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
