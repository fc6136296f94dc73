/** A batch of records, the unit readers yield and writers take. */
import type { JsonValue } from './shard';
import type { RecordKind, SyncRecord } from './records';

/**
 * A batch of records read together. `bytes` is an approximate payload size for the bytes/s figure.
 * Readers may attach a `columns` list when every record has the same keys (lets writers skip work).
 */
export interface Batch {
  /** What the records are. Default is `row`. */
  kind?: RecordKind;
  records: SyncRecord[];
  bytes: number;
  columns?: string[];
  /**
   * Opaque plain-JSON resume position: reading the same shard with `{ from: position }` continues
   * strictly after this batch (MySQL: the batch's last key; Redis: the scan cursor; DynamoDB:
   * `LastEvaluatedKey`; S3: `StartAfter`; a stream: a sequence number). The runtime saves it only
   * after the writer made every batch up to it durable. Omit when the reader cannot resume.
   */
  position?: JsonValue;
  /**
   * Set by the runtime on the first batch after a resume or retry: some of its records may already
   * be in the target (written by an attempt cut off before its position was saved). A writer whose
   * mode is not idempotent (`insert`) must accept those duplicates for this batch only.
   */
  replayed?: boolean;
  /**
   * Records of this batch that another shard of the run reads as well (a Redis SCAN segment's last
   * call runs a little past the segment's end). They are written like the others (rewriting the
   * same record is harmless for the stores that read twice) but counted once, by the other shard,
   * so `rows_read` / `rows_written` say what the target holds. Default is 0.
   */
  recounted?: number;
  /**
   * Records deleted (or expired) at the source, from a change feed (`-mode stream`): of the batch's
   * kind, each carrying at least its key (row: the key columns; entry: `key`, with `type` `string`
   * and an empty value; object: `key`). A key appears at most once across `records` and `deletes`
   * of one batch (the reader keeps only its latest change), so a writer may apply them in any
   * order. The runtime maps them like records and hands them to {@link WriterSession.delete}, or
   * drops them under `params.propagate_deletes: false`. Default: none.
   */
  deletes?: SyncRecord[];
  /**
   * Epoch milliseconds of the newest change in this batch at the source (a change feed: a
   * notification's arrival, a stream record's `ApproximateCreationDateTime`). The runtime shows the
   * run's lag as the time from there until the batch is written. Default: none.
   */
  changedAt?: number;
  /**
   * Optional: the whole batch as one payload in the reader plugin's {@link Plugin.nativeFormat},
   * set only when `ctx.peerNative` (mysql: the rows as `LOAD DATA` text formatted by the source
   * server). `records` is then empty; see {@link NativeBatch}. Default: none.
   */
  native?: NativeBatch;
}

/**
 * A batch carried as one opaque payload between a reader and a writer of the same native format,
 * so no record is ever built in JavaScript. Whoever needs the records (a writer that cannot take
 * the payload as it is, the runtime before a `--key` filter, a kind mapping, a smaller
 * `write_batch` or a dirty-record split) calls `records()`, which reads the same records again as
 * ordinary ones; a reader may take that call as a hint to send records for a while.
 *
 * @example { count: 5000, body: <Buffer ...>, info: { columns: ['id', 'name'], first: '1', last: '5000' }, records: () => readRange('1', '5000') }
 */
export interface NativeBatch {
  /** Records the payload holds (what the batch counts as read). */
  count: number;
  /** The payload, in the reader plugin's native format. */
  body: Buffer;
  /** Plain-JSON description only the plugin understands (its columns, the key range it covers). */
  info: Record<string, JsonValue>;
  /**
   * Read the payload's records as ordinary records of the batch's kind, in the reader's order.
   * `final: true` says the caller will never take this reader's payloads (its settings rule them
   * out), so the reader may stop making them. Default: this batch only.
   */
  records(opts?: { final?: boolean }): Promise<SyncRecord[]>;
}
