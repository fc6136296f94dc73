import type { Batch, RecordKind, SyncRecord } from '../sdk';
import { fingerprint, RowRule, showId } from './canonical';

/** A key both sides had (its hash is dropped to save memory; a second read of it is ignored). */
const SEEN = '';

/** Differences found by one comparison, with the source records to re-copy. */
export interface Comparison {
  sourceRows: number;
  targetRows: number;
  equal: number;
  /** Display keys. */
  missing: string[];
  extra: string[];
  different: string[];
  /** Kind and fingerprint id of every extra key (for deletes and rewrites). */
  extraIds: [RecordKind, string][];
  /** Fingerprint ids (with kind prefix) of the missing and different keys. */
  differingIds: Set<string>;
  /** Source records (as the writer takes them) of missing and different keys, up to the bound. */
  repairable: Batch[];
  /** Missing or different keys whose records were not kept (over the bound). */
  overBound: number;
}

/** Options of a {@link Comparer}. */
export interface CompareRules {
  rows: RowRule;
  /** Largest expiry difference (ms) that still counts as equal. */
  ttlToleranceMs: number;
  /** Keep the source records of differing keys for a repair, at most this many. 0 = keep none. */
  keep: number;
  /** Whether source batches read as `kind` carry a real expiry (not one made up at mapping time). */
  expiryComparable(readKind: RecordKind): boolean;
}

/** What a kept record's batch was: its kind and columns (not its other records). */
type BatchShape = Pick<Batch, 'kind' | 'columns'>;

/** A source record whose key the target has not given yet (or one being compared). */
interface PendingSource {
  hash: string;
  expireAt: number | null;
  withExpiry: boolean;
  /** The record and its batch's kind and columns, kept (within the bound) in case it turns out to differ. */
  record?: SyncRecord;
  batch?: BatchShape;
}

const idOf = (kind: RecordKind, id: string) => `${kind[0]}${id}`;

/** The kind of a comparison id (its first letter). */
const kindOf = (id: string): RecordKind => (id[0] === 'e' ? 'entry' : id[0] === 'o' ? 'object' : 'row');

/** The display form of a comparison id. */
const show = (id: string): string => showId(kindOf(id), id.slice(1));

/** A waiting source key as a {@link PendingSource}. */
function unpack(p: string | PendingSource): PendingSource {
  return typeof p === 'string' ? { hash: p.slice(1), expireAt: null, withExpiry: p[0] === '1' } : p;
}

/**
 * Key sets plus a hash of each record. Both sides are streamed at once: a key seen on one side
 * waits (key -> hash, about 110 bytes a key) until the other side gives it, then both are
 * compared and the source's entry dropped. Stores read in the same key order keep little waiting;
 * at worst (a hash-ordered scan against a key-ordered one) every key of both sides waits, so
 * memory is bounded by the key counts, never by the data. Source records are kept (up to
 * `rules.keep`) while they wait; a repair therefore gives the whole target first, so that only
 * records found differing take places of the bound.
 */
export class Comparer {
  /** Target keys: their hash while waiting for the source, SEEN once compared. */
  private readonly target = new Map<string, string>();
  private readonly targetExpiry = new Map<string, number>();
  /**
   * Source keys waiting for the target: most as one short string (`1`/`0` for whether the expiry
   * counts, then the hash), an object only with an expiry or a kept record.
   */
  private readonly source = new Map<string, string | PendingSource>();
  private kept = 0;
  /** Kept records by the batch they came in (kind and columns travel with them). */
  private readonly keptBatches = new Map<BatchShape, SyncRecord[]>();
  readonly result: Comparison = { sourceRows: 0, targetRows: 0, equal: 0, missing: [], extra: [], different: [], extraIds: [], differingIds: new Set(), repairable: [], overBound: 0 };

  constructor(private readonly rules: CompareRules) {}

  /** Take in one batch read from the target. */
  addTarget(batch: Batch): void {
    const kind = batch.kind ?? 'row';
    for (const record of batch.records) {
      const fp = fingerprint(kind, record, this.rules.rows);
      const id = idOf(kind, fp.id);
      if (this.target.has(id)) continue; // read twice (a shard boundary)
      this.result.targetRows++;
      const waiting = this.source.get(id);
      if (waiting !== undefined) {
        this.source.delete(id);
        this.target.set(id, SEEN);
        this.settle(id, unpack(waiting), fp.hash, fp.expireAt);
        continue;
      }
      this.target.set(id, fp.hash);
      if (fp.expireAt !== null) this.targetExpiry.set(id, fp.expireAt);
    }
  }

  /** Take in one batch read from the source (already mapped as a run maps it). */
  addSource(batch: Batch, readKind: RecordKind): void {
    const kind = batch.kind ?? 'row';
    const withExpiry = this.rules.expiryComparable(readKind);
    const shape: BatchShape = { kind: batch.kind, columns: batch.columns };
    for (const record of batch.records) {
      const fp = fingerprint(kind, record, this.rules.rows);
      const id = idOf(kind, fp.id);
      const target = this.target.get(id);
      if (target === SEEN || this.source.has(id)) continue; // read twice (a shard boundary)
      this.result.sourceRows++;
      const keep = this.kept < this.rules.keep;
      if (keep) this.kept++;
      const pending: PendingSource = { hash: fp.hash, expireAt: fp.expireAt, withExpiry, ...(keep ? { record, batch: shape } : {}) };
      if (target === undefined) {
        this.source.set(id, keep || fp.expireAt !== null ? pending : `${withExpiry ? 1 : 0}${fp.hash}`);
        continue;
      }
      const exp = this.targetExpiry.get(id) ?? null;
      this.targetExpiry.delete(id);
      this.target.set(id, SEEN);
      this.settle(id, pending, target, exp);
    }
  }

  /** Compare a source record with the target's hash and expiry; keep the record when it differs. */
  private settle(id: string, src: PendingSource, hash: string, expireAt: number | null): void {
    const a = src.expireAt;
    const expiryDiffers = src.withExpiry && (a === null || expireAt === null ? a !== expireAt : Math.abs(a - expireAt) > this.rules.ttlToleranceMs);
    if (hash === src.hash && !expiryDiffers) {
      this.result.equal++;
      if (src.record) this.kept--;
      return;
    }
    this.result.different.push(show(id));
    this.differs(id, src);
  }

  private differs(id: string, src: PendingSource): void {
    this.result.differingIds.add(id);
    if (!src.record || !src.batch) {
      this.result.overBound++;
      return;
    }
    const list = this.keptBatches.get(src.batch) ?? [];
    list.push(src.record);
    this.keptBatches.set(src.batch, list);
  }

  /** Finish: source keys the target never gave are missing, target keys the source never gave are extra. */
  finish(): Comparison {
    for (const [id, src] of this.source) {
      this.result.missing.push(show(id));
      this.differs(id, unpack(src));
    }
    for (const [id, hash] of this.target) {
      if (hash === SEEN) continue;
      this.result.extraIds.push([kindOf(id), id.slice(1)]);
      this.result.extra.push(show(id));
    }
    for (const [shape, records] of this.keptBatches) this.result.repairable.push({ ...shape, records, bytes: 0 });
    this.target.clear();
    this.targetExpiry.clear();
    this.source.clear();
    this.keptBatches.clear();
    return this.result;
  }
}

/** The comparison id (kind prefix and fingerprint id) of a record read from the target. */
export function targetIdOf(kind: RecordKind, record: SyncRecord, rows: RowRule): string {
  return idOf(kind, fingerprint(kind, record, rows).id);
}
