import type { Plugin } from '../../src/contract';
import { redisConnectionSchema, redisParamsSchema } from './config';
import { RedisReader } from './reader';
import { RedisWriter } from './writer';

/**
 * Redis and Redis Cluster: reads every key of a pattern in parallel SCAN cursor segments (or the
 * keys listed in a dirty set), writes records with their type and TTL, and maps rows to keys and
 * back for mysql<->redis tasks. See the "redis" section of README.md.
 */
const redis: Plugin = {
  type: 'redis',
  connectionSchema: redisConnectionSchema,
  paramsSchema: redisParamsSchema,
  reader: new RedisReader(),
  writer: new RedisWriter(),
};

export default redis;
