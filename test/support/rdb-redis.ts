/**
 * A throwaway redis-server (own loopback port, own temp dir) that makes real RDB files: start it
 * with encoding settings (`list-max-listpack-size`, `rdbcompression`, ...), fill it, `save()` and
 * read `dump.rdb`. `stop()` shuts it down and removes the dir.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { findFreePort } from './redis-cluster';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running private redis-server with its client. */
export interface RdbRedis {
  port: number;
  dir: string;
  client: Redis;
  /** SAVE, and the path of the RDB file it wrote. */
  save(): Promise<string>;
  /** Stop it and remove its dir. Idempotent. */
  stop(): Promise<void>;
}

/** Start redis-server with `config` (`{ 'list-max-listpack-size': '4' }`), no automatic saves. */
export async function startRdbRedis(config: Record<string, string> = {}): Promise<RdbRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'goshift-rdb-redis-'));
  const port = await findFreePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--dbfilename', 'dump.rdb'];
  for (const [k, v] of Object.entries(config)) args.push(`--${k}`, v);
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      await client.connect();
      up = (await client.ping()) === 'PONG';
    } catch {
      await sleep(100);
    }
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
  }
  let stopped = false;
  return {
    port,
    dir,
    client,
    async save() {
      await client.save();
      return join(dir, 'dump.rdb');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.disconnect();
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
