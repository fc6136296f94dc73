import type { Batch, KvEntry, SyncRecord } from '../sdk';
import { isExpired } from '../sdk/expiry';

/** What {@link filterEntries} kept and dropped of one batch. */
export interface FilteredBatch {
  batch: Batch;
  /** Entries dropped because their expiry had passed at `now` (pages of big keys are never dropped). */
  expired: number;
  /** Keys (UTF-8 text) of the entries kept, when `keys` was given. */
  kept: string[];
}

/**
 * Keep the entries of a batch the writer should get: with `keys` (`--key`), only entries whose key
 * (as UTF-8 text) is one of them; and never an entry whose expiry has passed (counted apart, so the
 * summary says how many were skipped as expired). Batches of any other kind pass unchanged.
 * @example filterEntries(batch, new Set(['user:42']), Date.now())
 */
export function filterEntries(batch: Batch, keys: Set<string> | undefined, now: number): FilteredBatch {
  if ((batch.kind ?? 'row') !== 'entry' || batch.records.length === 0) return { batch, expired: 0, kept: [] };
  const records: SyncRecord[] = [];
  const kept: string[] = [];
  let expired = 0;
  for (const record of batch.records) {
    const entry = record as unknown as KvEntry;
    let text: string | undefined;
    if (keys) {
      text = entry.key.toString('utf8');
      if (!keys.has(text)) continue;
    }
    if (!entry.chunk && isExpired(entry, now)) {
      expired++;
      continue;
    }
    records.push(record);
    if (text !== undefined) kept.push(text);
  }
  if (records.length === batch.records.length) return { batch, expired, kept };
  const bytes = batch.records.length ? Math.round((batch.bytes * records.length) / batch.records.length) : 0;
  return { batch: { ...batch, records, bytes }, expired, kept };
}
