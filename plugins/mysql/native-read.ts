import type { Pool } from 'mysql2/promise';
import type { Batch, JsonValue, SyncRecord } from '../../src/sdk';
import { ReadError } from '../../src/sdk';
import { NativeColumn, nativeLineExpression, NativeRowsInfo } from './native-rows';
import { integerText, quoteIdent, toKeyValue } from './sql';

/** The most bytes one native batch aims at (wide rows make batches of fewer rows). */
const targetBatchBytes = 8 * 1024 * 1024;

/** Batches' worth of rows read as records after a writer asked for a native batch's records; doubles up to {@link maxRecordBatches}. */
const firstRecordBatches = 8;
const maxRecordBatches = 64;

/** The table a native reader reads: quoted names, the record select list and the native columns. */
export interface NativeTable {
  /** Quoted `schema`.`table`. */
  table: string;
  /** The key: one integer column (raw name). */
  key: string;
  /** Quoted select list of the same columns, for reading records. */
  select: string;
  columns: NativeColumn[];
}

/** One native read: the batch, and whether it was the shard's last. */
export interface NativeRead {
  batch: Batch;
  last: boolean;
}

/**
 * Reads a table with one integer key as native batches: the source server turns each batch of
 * rows into `LOAD DATA` lines (`GROUP_CONCAT` of {@link nativeLineExpression}) and the client gets
 * one value per batch, which a mysql writer loads as it is. One per reader session, shared by its
 * shards. When a writer asks for a batch's records (the target already holds rows in the range),
 * the next rows are read as records for a while (8 batches' worth, doubling up to 64 while that
 * goes on).
 */
export class NativeReader {
  private readonly keyQuoted: string;
  private readonly line: string;
  private readonly info: Pick<NativeRowsInfo, 'columns' | 'hex' | 'key'>;
  /** Rows of the next native batch at most; halves when a batch did not fit the server's packet. */
  private rowsCap = Number.MAX_SAFE_INTEGER;
  /** Rows still to read as records before the next native batch. */
  private recordRowsLeft = 0;
  private batchSize = 1;
  private backoff = 0;
  private lastDeclined = false;
  /** A writer said it never takes native batches: records only from now on. */
  private off = false;

  /** @param packetLimit the source's max_allowed_packet: a longer result is cut, so a batch must stay below it */
  constructor(private readonly pool: Pool, private readonly source: NativeTable, private readonly packetLimit: number) {
    this.keyQuoted = quoteIdent(source.key, 'key column');
    this.line = nativeLineExpression(source.columns);
    this.info = {
      columns: source.columns.map((c) => c.name),
      hex: source.columns.flatMap((c, i) => (c.field === 'hex' ? [i] : [])),
      key: source.key,
    };
  }

  /** Whether the next batch should be read natively (false while writers want records). */
  due(): boolean {
    return !this.off && this.recordRowsLeft <= 0;
  }

  /**
   * Whether rows read now stand in for declined native batches for a while: they are read in
   * half batches, since a shard of several batches holds one read ahead while one is written,
   * and a declined batch is upserted against rows the target already holds.
   */
  halfBatches(): boolean {
    return !this.off;
  }

  /** The session read `rows` rows as records (while {@link due} said no). */
  readRecords(rows: number): void {
    this.recordRowsLeft = Math.max(0, this.recordRowsLeft - rows);
  }

  /**
   * Read the next batch strictly after `cursor` (the shard's start when null) among the rows
   * `filters` select, or null when none is left. A batch too big for the server's packet comes
   * back as records.
   */
  async next(filters: string[], cursor: unknown[] | null, batchSize: number): Promise<NativeRead | null> {
    const where = cursor ? [...filters, `${this.keyQuoted} > ${integerBound(cursor[0])}`] : filters;
    this.batchSize = batchSize;
    const rows = Math.max(1, Math.min(batchSize, this.rowsCap));
    // The key just past the batch: when there is none, this batch is the shard's last.
    const [probe] = await this.pool.query({
      sql: `SELECT ${this.keyQuoted} FROM ${this.source.table}${whereClause(where)} ORDER BY ${this.keyQuoted} LIMIT 1 OFFSET ${rows}`,
      rowsAsArray: true,
    });
    const beyond = (probe as unknown[][])[0]?.[0];
    const range = beyond === undefined ? where : [...where, `${this.keyQuoted} < ${integerBound(beyond)}`];
    const [result] = await this.pool.query({
      sql: `SELECT COUNT(*), MIN(${this.keyQuoted}), MAX(${this.keyQuoted}), CAST(GROUP_CONCAT(${this.line} SEPARATOR '\\n') AS BINARY)`
        + ` FROM ${this.source.table}${whereClause(range)}`,
      rowsAsArray: true,
    });
    const [count, first, lastKey, body] = (result as [string | number, unknown, unknown, Buffer | null][])[0];
    const n = Number(count);
    // Nothing left (or, with a key beyond, every row of the batch deleted meanwhile: read on past them).
    if (n === 0) return beyond === undefined ? null : this.next(filters, [String(BigInt(integerBound(beyond)) - 1n)], batchSize);
    const last = beyond === undefined;
    const position = [toKeyValue(lastKey)] as JsonValue;
    const upTo = [...where, `${this.keyQuoted} <= ${integerBound(lastKey)}`];
    // The server cuts a GROUP_CONCAT at max_allowed_packet (at a character boundary): a body that
    // long may be cut, so the batch is read as records and the next ones are smaller.
    if (!body || body.length >= this.packetLimit - 4) {
      this.rowsCap = Math.max(1, Math.floor(rows / 2));
      const records = await this.records(upTo);
      return { batch: { kind: 'row', records, bytes: body?.length ?? 0, position }, last };
    }
    this.rowsCap = Math.max(1, Math.floor(Math.min(targetBatchBytes, this.packetLimit / 2) / (body.length / n)));
    if (!this.lastDeclined) this.backoff = 0;
    this.lastDeclined = false;
    const info: NativeRowsInfo = { ...this.info, first: String(first), last: String(lastKey) };
    const batch: Batch = {
      kind: 'row',
      records: [],
      bytes: body.length,
      position,
      native: {
        count: n,
        body,
        info,
        records: (opts) => {
          this.declined(opts?.final === true);
          return this.records(upTo);
        },
      },
    };
    return { batch, last };
  }

  /** A writer wanted records: read the next batches as records, for longer each time in a row, or for good. */
  private declined(final: boolean): void {
    if (final) this.off = true;
    this.lastDeclined = true;
    this.backoff = Math.min(maxRecordBatches, this.backoff ? this.backoff * 2 : firstRecordBatches);
    this.recordRowsLeft = this.backoff * this.batchSize;
  }

  /** The records of a native batch's range, in key order. */
  private async records(where: string[]): Promise<SyncRecord[]> {
    const [rows] = await this.pool.query(`SELECT ${this.source.select} FROM ${this.source.table}${whereClause(where)} ORDER BY ${this.keyQuoted}`);
    return rows as SyncRecord[];
  }
}

function whereClause(conditions: string[]): string {
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** An integer key value as a bare number in a statement (exact beyond 2^53, unlike a quoted one compared as a double). */
function integerBound(value: unknown): string {
  const text = String(value);
  if (!integerText.test(text)) throw new ReadError(`a native read met a key value that is not an integer: ${JSON.stringify(value)}`);
  return text;
}
