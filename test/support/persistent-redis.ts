/**
 * A throwaway redis-server that keeps its data across a restart (AOF, fsync always), for tests
 * that stop a target mid-run and expect what was written before the stop to be there after it.
 * Free loopback port, own temp dir; `stop()` shuts it down and removes the dir.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { findFreePort } from './redis-cluster';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running persistent redis-server. */
export interface PersistentRedis {
  host: string;
  port: number;
  /** Stop it (SHUTDOWN, which flushes the AOF) and wait for the process to exit. */
  halt(): Promise<void>;
  /** Start it again on the same dir and port (the AOF is replayed). */
  start(): Promise<void>;
  /** Stop it and remove its dir. Idempotent. */
  stop(): Promise<void>;
}

/** Start a redis-server with `--appendonly yes --appendfsync always` on a free port. */
export async function startPersistentRedis(): Promise<PersistentRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'goshift-aof-redis-'));
  const port = await findFreePort();
  let child: ChildProcess | undefined;
  let stopped = false;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') {
          // Wait until the AOF is loaded (LOADING replies until then).
          await probe.dbsize();
          return;
        }
      } catch {
        await sleep(100);
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
  };
  const halt = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    halt,
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
