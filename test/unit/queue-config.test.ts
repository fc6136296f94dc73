import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { queueConfigOf, queueRedisOptions } from '../../src/distributed/queue-config';
import { ConfigError } from '../../src/errors';

function load(queue: unknown): ReturnType<typeof loadConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-unit-'));
  fs.writeFileSync(path.join(dir, 'x.json'), JSON.stringify(queue === undefined ? {} : { queue }));
  return loadConfig({ env: 'x', dir, usedEnv: true }, { QPW: 'hunter2' });
}

describe('config: the queue section (scale-out)', () => {
  test('defaults, ${VAR} in the password, and the ioredis options BullMQ needs', () => {
    const q = queueConfigOf(load({ port: 6380, password: '${QPW}' }), '--distributed');
    expect(q).toEqual({ host: '127.0.0.1', port: 6380, db: 0, username: '', password: 'hunter2', tls: false, name: 'goshift', stalled_interval_ms: 30000, max_stalled_count: 2, connect_timeout_ms: 5000 });
    expect(queueRedisOptions(q)).toMatchObject({ host: '127.0.0.1', port: 6380, db: 0, password: 'hunter2', maxRetriesPerRequest: null, tls: undefined });
  });

  test('a missing section names the file, the key and what needs it', () => {
    const config = load(undefined);
    expect(() => queueConfigOf(config, '--distributed')).toThrow(ConfigError);
    expect(() => queueConfigOf(config, '--distributed')).toThrow(`config ${config.source} has no "queue" section: --distributed needs one`);
  });

  test.each([
    [{ name: 'has space' }, /queue\.name: must be 1-100 letters, digits, _ \. or -, got "has space"/],
    [{ port: 70000 }, /queue\.port/],
    [{ stalled_interval_ms: 10 }, /queue\.stalled_interval_ms must be at least 1000, got 10/],
  ])('%j is refused naming the key', (queue, message) => {
    expect(() => queueConfigOf(load(queue), 'goshift worker')).toThrow(message);
  });

  const keys = 'host, port, db, username, password, tls, name, stalled_interval_ms, max_stalled_count, connect_timeout_ms';
  test.each([
    ['redis://x', `queue must be an object with the keys ${keys}, got "redis://x"`],
    [{ hots: 'x' }, `queue.hots: unknown key (did you mean "host"?); expected one of ${keys}`],
    // A connection nested under a key it does not have (BullMQ's own shape): was a JavaScript TypeError.
    [{ redis: { host: '127.0.0.1' }, name: 'q' }, `queue.redis: unknown key; expected one of ${keys}`],
    [{ port: { number: 6380 } }, 'queue.port must be a single value (Redis port), got an object'],
  ])('queue %j is refused when the config loads, in one line naming the file and the path', (queue, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-unit-'));
    fs.writeFileSync(path.join(dir, 'x.json'), JSON.stringify({ queue }));
    const err = (() => { try { loadConfig({ env: 'x', dir, usedEnv: true }, {}); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toBe(`config ${path.join(dir, 'x.json')}: ${message}`);
  });
});
