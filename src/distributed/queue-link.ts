import { Redis, RedisOptions } from 'ioredis';
import { ConfigError } from '../errors';
import { QueueConfig, queueRedisOptions, queueWhere } from './queue-config';

/**
 * Connect to the queue's Redis once, failing fast: one clear line when it does not answer
 * (BullMQ's own connections would retry forever).
 * @throws ConfigError naming the queue's address and the config file
 */
export async function checkQueueReachable(q: QueueConfig, configFile: string): Promise<void> {
  const probe = new Redis({ ...(queueRedisOptions(q) as RedisOptions), lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  // ioredis rejects with "Connection is closed."; the cause (ECONNREFUSED, a timeout) comes as an event.
  let cause: Error | undefined;
  probe.on('error', (err: Error) => (cause ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new ConfigError(`queue ${queueWhere(q)} (config ${configFile}, section queue) is unreachable: ${(cause ?? (err as Error)).message}; start that Redis or fix queue.host/queue.port`);
  } finally {
    probe.disconnect();
  }
}

/** A plain Redis client of the queue (commands, publish or subscribe); errors are logged, not thrown. */
export function queueClient(q: QueueConfig, onError: (err: Error) => void): Redis {
  const client = new Redis(queueRedisOptions(q) as RedisOptions);
  client.on('error', onError);
  return client;
}
