import { KeyTemplate } from '../../src/sdk';
import type { ReadBack } from '../../src/sdk';

/**
 * Reading a redis target back (`goshift verify` across stores): a key template `user:{id}` reads
 * the keys it matches (`user:*`); the reader's key filters narrow only a source.
 */
export const redisReadBack: ReadBack = {
  table: (toTable) => (toTable.includes('{') ? new KeyTemplate(toTable).matchPattern() : toTable),
  sourceFilters: { key_prefixes: [], exclude_prefixes: [], types: [] },
};
