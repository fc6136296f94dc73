import type { Plugin } from '../../src/sdk';
import { checkRedis } from './check';
import { redisConnectionSchema, redisParamsSchema } from './config';
import { redisReadBack } from './read-back';
import { RedisReader } from './reader';
import { isRedisTransient } from './transient';
import { redisVerify } from './verify';
import { RedisWriter } from './writer';

/**
 * Redis and Redis Cluster: reads every key of a pattern in parallel SCAN cursor segments (or the
 * keys listed in a dirty set) as key-value entries, and writes entries with their type and expiry.
 * Between two Redis (native format `redis`) values may travel as DUMP payloads and big collections
 * in pages. Rows of other stores are mapped to entries and back by the core. See the "redis"
 * section of README.md.
 */
const redis: Plugin = {
  type: 'redis',
  connectionSchema: redisConnectionSchema,
  paramsSchema: redisParamsSchema,
  reads: ['entry'],
  writes: ['entry'],
  nativeFormat: 'redis',
  isTransient: isRedisTransient,
  check: checkRedis,
  // -mode stream: a change feed after the catch-up.
  streams: true,
  reader: new RedisReader(),
  writer: new RedisWriter(),
  // `goshift verify`: type, value digest and TTL of every key on both sides.
  verify: redisVerify,
  readBack: redisReadBack,
};

export default redis;
