/**
 * RDB files and streams (Redis 2.x to 7.4, RDB 1 to 12; Valkey 7 and 8): {@link parseRdb} yields
 * entries in the store-neutral shape of the SCAN reader plus the DUMP payload of each value,
 * header fields, functions and module keys. Used by the redis replica reader (PSYNC snapshot) and
 * by the file and s3 plugins (`params.format: "rdb"`). See docs/rdb.md.
 */
export { parseRdb, keyText } from './parse';
export { crc64Jones } from './crc64';
export { scoreText } from './values';
export { entryTypeOf, RDB_MAX_VERSION } from './types';
export type { ParseRdbOptions, RdbItem } from './types';
export { rdbBatches } from './batches';
export type { RdbBatchOptions, RdbPosition } from './batches';
