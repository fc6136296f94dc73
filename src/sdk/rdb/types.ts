/** RDB type and opcode numbers (redis `src/rdb.h`) and what the parser yields. */
import type { EntryType, KvEntry } from '../records';

/** Newest RDB version this parser knows (Redis 7.4). Valkey 8 writes 11. */
export const RDB_MAX_VERSION = 12;

/** Value types. */
export const T = {
  STRING: 0, LIST: 1, SET: 2, ZSET: 3, HASH: 4, ZSET_2: 5, MODULE_PRE_GA: 6, MODULE_2: 7,
  HASH_ZIPMAP: 9, LIST_ZIPLIST: 10, SET_INTSET: 11, ZSET_ZIPLIST: 12, HASH_ZIPLIST: 13, LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15, HASH_LISTPACK: 16, ZSET_LISTPACK: 17, LIST_QUICKLIST_2: 18, STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20, STREAM_LISTPACKS_3: 21, HASH_METADATA_PRE_GA: 22, HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24, HASH_LISTPACK_EX: 25,
} as const;

/** Opcodes between values. */
export const OP = {
  SLOT_INFO: 244, FUNCTION2: 245, FUNCTION_PRE_GA: 246, MODULE_AUX: 247, IDLE: 248, FREQ: 249, AUX: 250,
  RESIZEDB: 251, EXPIRETIME_MS: 252, EXPIRETIME: 253, SELECTDB: 254, EOF: 255,
} as const;

/** The portable type of each RDB value type (module types have none). */
export function entryTypeOf(rdbType: number): EntryType | undefined {
  switch (rdbType) {
    case T.STRING:
      return 'string';
    case T.LIST: case T.LIST_ZIPLIST: case T.LIST_QUICKLIST: case T.LIST_QUICKLIST_2:
      return 'list';
    case T.SET: case T.SET_INTSET: case T.SET_LISTPACK:
      return 'set';
    case T.ZSET: case T.ZSET_2: case T.ZSET_ZIPLIST: case T.ZSET_LISTPACK:
      return 'zset';
    case T.HASH: case T.HASH_ZIPMAP: case T.HASH_ZIPLIST: case T.HASH_LISTPACK: case T.HASH_METADATA_PRE_GA:
    case T.HASH_LISTPACK_EX_PRE_GA: case T.HASH_METADATA: case T.HASH_LISTPACK_EX:
      return 'hash';
    case T.STREAM_LISTPACKS: case T.STREAM_LISTPACKS_2: case T.STREAM_LISTPACKS_3:
      return 'stream';
    default:
      return undefined;
  }
}

/**
 * One thing read from an RDB stream:
 * - `entry`: a key of a portable type. `entry` is the store-neutral {@link KvEntry} the SCAN reader
 *   makes (`value` left empty when values are not decoded); `dump` is the DUMP/RESTORE payload of
 *   the value (type byte, value bytes, RDB version u16 LE, CRC-64 Jones LE); `rdbType` its encoding.
 * - `module`: a key of a module type, only as a DUMP payload (`moduleId` is the module's 9-letter name).
 * - `aux`: a header field (`redis-ver`, `ctime`, `repl-id`, ...).
 * - `function`: one library of Redis functions (FUNCTION2), its code as `FUNCTION LOAD` takes it.
 * - `end`: the end of the file (checksum verified unless the file has none); `rest` holds the bytes
 *   the source gave after the checksum (a replication stream's first commands), if any.
 */
export type RdbItem =
  | { kind: 'entry'; db: number; entry: KvEntry; dump: Buffer; rdbType: number }
  | { kind: 'module'; db: number; key: Buffer; moduleId: string; dump: Buffer; expireAt: number | null }
  | { kind: 'aux'; name: string; value: Buffer }
  | { kind: 'function'; payload: Buffer }
  | { kind: 'end'; version: number; rest?: Buffer };

/** Options of {@link parseRdb}. */
export interface ParseRdbOptions {
  /** Stop reading when it fires (the generator then rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Decode values into `entry.value`. False: `entry.value` stays empty and only `dump` is made,
   * which is faster (redis -> redis). Default is true.
   */
  decodeValues?: boolean;
}
