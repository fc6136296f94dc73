/**
 * The plugin SDK: everything a store plugin (`plugins/<type>/`) may import from the core, and the
 * only module it imports (`import { ... } from '../../src/sdk'`). A plugin default-exports a
 * {@link Plugin}. The runner plans shards with the reader in the main thread, then every worker
 * thread opens one reader session and one writer session (lazily, on its first shard) and reuses
 * them for every shard it is given.
 *
 * Files by role: `shard`, `records`, `batch` (what moves), `context` (what a plugin is given),
 * `reader`, `writer`, `direct`, `verify`, `plugin` (what a plugin implements), `session-base`
 * (lifecycle defaults), `errors`, `params` and `task-params`, `key-template`, `envelope`
 * (portable entries), `binary` and `expiry`; record formats of file-like content (NDJSON, CSV,
 * gzip) are in `src/sdk/formats`.
 */
export type { Batch, NativeBatch } from './batch';
export type { PluginContext, ReadOptions, TaskRow } from './context';
export type { DirectCopyCounters, DirectCopyFactory, DirectCopySession } from './direct';
export type { DirectCopyCapability, NativeFormatCapability, Plugin, PluginBase, StreamCapability, VerifyCapability } from './plugin';
export type { DescribeCapability, DiscoverCapability, ReaderCore, ReaderFactory, ReaderSession, TableShape } from './reader';
export type { EntryType, KvEntry, ObjectRecord, RecordKind, SyncRecord } from './records';
export type { ConnectionConfig, JsonValue, Shard } from './shard';
export type { TaskParams } from './task-params';
export type { ReadBack, VerifyFactory, VerifyOptions, VerifyReport } from './verify';
export type { CreateTargetCapability, WriterCore, WriterFactory, WriterSession } from './writer';
export { ReaderSessionBase, SessionBase, WriterSessionBase } from './session-base';
export { ConfigError, GoshiftError, PluginError, RdbError, ReadError, RejectedError, ReplicaLinkError, SyncRefusedError, TaskError, WriteError } from './errors';
export { defaultWriteBatch, mappedColumn, positiveInt, positiveWhenGiven, sourceKeyColumns, stringList, stringMap, writeBatchOf } from './params';
export { KeyTemplate, preview } from './key-template';
export { decodeEnvelope, encodeEnvelope, ENTRY_TYPES, ENVELOPE_VERSION, fromEnvelope, restoreEntries, toEnvelope } from './envelope';
export type { KvEnvelope } from './envelope';
export { crc64Jones, entryTypeOf, keyText, parseRdb, RDB_MAX_VERSION, rdbBatches, scoreText } from './rdb';
export type { ParseRdbOptions, RdbBatchOptions, RdbItem, RdbPosition } from './rdb';
