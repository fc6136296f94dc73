/**
 * Shards that never end (contract v2 §5), driven through the real CLI, pool and workers with the
 * synthetic `memory` plugin (test/support/memory-plugin.js): an unbounded change feed, a child
 * shard that starts only after its parent, a shard discovered while the run goes, and a stop that
 * drains, saves positions and exits 0 as `stopped`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GoshiftTestEnv } from '../support/goshift-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('unbounded shards', () => {
  let env: GoshiftTestEnv;
  let dir: string;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    dir = fs.mkdtempSync(path.join(env.configDir, 'memory-'));
    const entry = { [`${env.app}_mem`]: { dir } };
    env.writeConfig({ plugins: { memory: path.join(__dirname, '..', 'support', 'memory-plugin.js') }, from: { memory: entry }, to: { memory: entry } });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const lines = (shard: string): { shard: string; n: number }[] => {
    const file = path.join(dir, `${shard}.ndjson`);
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  const ended = (shard: string): number | undefined => {
    const file = path.join(dir, `${shard}.end`);
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : undefined;
  };
  const firstWrite = (shard: string): number => Number(fs.readFileSync(path.join(dir, `${shard}.start`), 'utf8'));

  async function task(params: Record<string, unknown> = {}): Promise<number> {
    return env.addTask({ from_db_type: 'memory', to_db_type: 'memory', from_db: 'mem', to_db: 'mem', from_table: 'feed', to_table: 'sink', params: { worker_num: 4, read_batch: 50, ...params } });
  }

  test('a child starts after its parent, a discovered shard joins, and SIGTERM stops the feed with exit 0 as stopped; a rerun continues after the feed position', async () => {
    const id = await task();
    const { child, stderr, exited } = env.spawnRun(id);
    try {
      for (let i = 0; i < 300 && ended('late') === undefined; i++) await sleep(50);
      expect(stderr()).toMatch(/1 new shard\(s\): late/);
      expect(ended('late')).toBeDefined();
      await sleep(300);
    } finally {
      // A feed never ends by itself: stop it whatever happened above.
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    expect(lines('parent').map((r) => r.n)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(lines('child')).toHaveLength(300);
    expect(firstWrite('child')).toBeGreaterThanOrEqual(ended('parent')!);
    expect(firstWrite('late')).toBeGreaterThanOrEqual(ended('child')!);
    const fed = lines('feed').map((r) => r.n);
    expect(fed.length).toBeGreaterThan(0);
    expect(fed).toEqual(Array.from({ length: fed.length }, (_, i) => i + 1));

    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'stopped', rows_written: String(300 + 300 + 20 + fed.length) });
    expect(await env.taskStatus(id)).toBe('3');

    // The rerun skips the finished shards and continues the feed strictly after its saved position.
    const again = env.spawnRun(id);
    try {
      for (let i = 0; i < 100 && lines('feed').length <= fed.length; i++) await sleep(50);
    } finally {
      again.child.kill('SIGINT');
    }
    expect(await again.exited).toBe(0);
    const all = lines('feed').map((r) => r.n);
    expect(all.length).toBeGreaterThan(fed.length);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(lines('parent')).toHaveLength(300);
    expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });
  });

  test('a failing shard still fails a run with an unbounded feed (non-zero exit, status failed)', async () => {
    const id = await task({ fail_on: 'parent' });
    const res = await env.run(id);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/memory store refuses shard parent/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed' });
    expect(lines('child')).toEqual([]);
  });
});
