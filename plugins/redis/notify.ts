import type { Redis } from 'ioredis';
import { TaskError } from '../../src/sdk';

/**
 * Keyspace notifications a change feed needs: `K` (the `__keyspace@<db>__:<key>` channel) and the
 * classes generic `g`, string `$`, list `l`, set `s`, hash `h`, sorted set `z`, expired `x`,
 * evicted `e` and stream `t`. `A` is the server's alias for all of those classes.
 */
const NEEDED_CLASSES = 'g$lshzxet';

/** What a server's `notify-keyspace-events` lacks for a change feed ('' when nothing). */
export function missingNotifyFlags(current: string): string {
  const have = current.includes('A') ? `${current}${NEEDED_CLASSES}` : current;
  return `K${NEEDED_CLASSES}`.split('').filter((c) => !have.includes(c)).join('');
}

/** The flags to set so a server publishes what a feed needs, keeping what it already publishes. */
export function withFeedFlags(current: string): string {
  const out = new Set(current.split(''));
  for (const c of `K${NEEDED_CLASSES}`) out.add(c);
  return [...out].join('');
}

/** `notify-keyspace-events` of one server, or undefined when CONFIG is not allowed there. */
async function readFlags(client: Redis): Promise<string | undefined> {
  try {
    const reply = (await client.config('GET', 'notify-keyspace-events')) as string[];
    return reply[1] ?? '';
  } catch {
    return undefined;
  }
}

/**
 * Make sure a server publishes the keyspace notifications a change feed needs. With `enable`
 * (params.enable_notifications) it sets them (CONFIG SET, not persisted: a restarted server is set
 * again when the feed reconnects); otherwise it only checks and fails with one line saying how to
 * enable them. A server that refuses CONFIG (managed services) is assumed to publish them: warned.
 * @throws TaskError when the server does not publish them and `enable` is false (or CONFIG SET failed)
 */
export async function ensureNotifications(client: Redis, where: string, enable: boolean, warn: (line: string) => void): Promise<void> {
  const current = await readFlags(client);
  if (current === undefined) {
    warn(`${where}: cannot read notify-keyspace-events (CONFIG GET refused); assuming the server publishes keyspace notifications (needs "K${NEEDED_CLASSES}")`);
    return;
  }
  const missing = missingNotifyFlags(current);
  if (!missing) return;
  if (!enable) {
    throw new TaskError(`${where} does not publish the keyspace notifications -mode stream follows (notify-keyspace-events is "${current}", lacks "${missing}"): set params.enable_notifications: true, or put "notify-keyspace-events KA" in redis.conf`);
  }
  const flags = withFeedFlags(current);
  try {
    await client.config('SET', 'notify-keyspace-events', flags);
  } catch (err) {
    throw new TaskError(`${where}: params.enable_notifications could not set notify-keyspace-events to "${flags}": ${(err as Error).message}; put "notify-keyspace-events KA" in redis.conf instead`);
  }
}
