/**
 * Row events of the binlog as change records: a batch's records (upserts, whole rows) and deletes
 * (key columns only), the latest change per key, values in the same text forms a snapshot read gives.
 */
import type { SyncRecord } from '../../src/sdk';

/** What the feed knows of the followed table: its key and the columns a record carries. */
export interface FollowedTable {
  schema: string;
  table: string;
  key: string[];
  columns: string[];
}

/** The latest change per key since the last batch. */
export class ChangeSet {
  private readonly changes = new Map<string, { deleted: boolean; record: SyncRecord }>();

  constructor(private readonly followed: FollowedTable) {}

  /** Changes held. */
  get size(): number {
    return this.changes.size;
  }

  /** An inserted row, or an update's after image. */
  upsert(row: Record<string, unknown>): void {
    const record: SyncRecord = {};
    for (const c of this.followed.columns) record[c] = binlogValue(row[c]);
    this.changes.set(this.keyOf(row), { deleted: false, record });
  }

  /** A deleted row (or an update's before image when the update changed the key). */
  remove(row: Record<string, unknown>): void {
    const record: SyncRecord = {};
    for (const c of this.followed.key) record[c] = binlogValue(row[c]);
    this.changes.set(this.keyOf(row), { deleted: true, record });
  }

  /** An update: a changed key deletes the old row first. */
  update(before: Record<string, unknown>, after: Record<string, unknown>): void {
    if (this.keyOf(before) !== this.keyOf(after)) this.remove(before);
    this.upsert(after);
  }

  /** Take the held changes as records and deletes, and start over. */
  take(): { records: SyncRecord[]; deletes: SyncRecord[] } {
    const records: SyncRecord[] = [];
    const deletes: SyncRecord[] = [];
    for (const c of this.changes.values()) (c.deleted ? deletes : records).push(c.record);
    this.changes.clear();
    return { records, deletes };
  }

  private keyOf(row: Record<string, unknown>): string {
    return JSON.stringify(this.followed.key.map((k) => String(binlogValue(row[k]))));
  }
}

/**
 * A decoded binlog value in the form a snapshot read has (mysql2 with big numbers, dates and JSON
 * as text): BigInt as its decimal text, a JSON value as its JSON text; strings, numbers, Buffers
 * and null as they are.
 */
export function binlogValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  return JSON.stringify(v);
}
