/** The record kinds a batch carries and their shapes (row, entry, object). */

/**
 * The three record kinds a batch can carry:
 * - `row`: column -> value (MySQL rows, DynamoDB items, NDJSON/CSV lines),
 * - `entry`: one key-value entry, a {@link KvEntry} (Redis keys),
 * - `object`: a stored object, an {@link ObjectRecord} (S3 objects, files).
 * The core maps between kinds (row <-> entry through a key template and columns, entry <-> object
 * through the portable envelope); a plugin only ever sees the kinds it declared.
 */
export type RecordKind = 'row' | 'entry' | 'object';

/** Data types of a key-value entry. */
export type EntryType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';

/**
 * A store-neutral key-value entry (record kind `entry`). Binary exact: keys, fields and values are
 * Buffers. Values by type: string `Buffer`; hash `[field, value][]`; list and set `Buffer[]`;
 * zset `[member, score][]` (score as text, exact); stream `[id, [field, value][]][]`.
 */
export interface KvEntry {
  key: Buffer;
  type: EntryType;
  value: Buffer | Buffer[] | [Buffer, Buffer][] | [Buffer, string][] | [string, [Buffer, Buffer][]][];
  /** Absolute expiry in epoch milliseconds, or null when the entry never expires. */
  expireAt: number | null;
  /**
   * Optional opaque payload in the reader plugin's {@link Plugin.nativeFormat} (Redis: a DUMP
   * payload), set only when `ctx.peerNative` says the writer takes that format. When set, `value`
   * may be left empty and the writer restores the payload instead; the core never looks inside it
   * and the envelope codec refuses such an entry. Default: none.
   */
  native?: Buffer;
  /**
   * Optional: this entry is one page of a big collection, set only when `ctx.peerNative`. Pages of
   * one key share `id`, come in `index` order (0, 1, ...), and `value` holds that page's elements;
   * the writer builds the key from every page and completes it when `last` arrives, so the key is
   * never seen half-copied. Default: the entry is whole.
   */
  chunk?: { id: string; index: number; last: boolean };
}

/** A stored object (record kind `object`): key, bytes and metadata. */
export interface ObjectRecord {
  key: string;
  body: Buffer;
  /** User metadata (S3 `x-amz-meta-*`), content type and the like. */
  metadata?: Record<string, string>;
}

/** One record: a row object, a {@link KvEntry} or an {@link ObjectRecord}, as the batch's kind says. */
export type SyncRecord = Record<string, unknown>;
