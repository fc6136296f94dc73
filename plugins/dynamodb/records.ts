import type { Batch, KvEntry, PluginContext, SyncRecord } from '../../src/sdk';
import { decodeEnvelope, ReadError } from '../../src/sdk';
import { ENVELOPE_ATTRIBUTE, Item, itemToRow, NATIVE_ITEM } from './values';

/** A record of the kind it is read as. */
export interface KindedRecord {
  kind: 'row' | 'entry';
  record: SyncRecord;
}

/**
 * An item as a record: between two DynamoDB stores (`ctx.peerNative`) the item itself, untouched;
 * an item holding an entry envelope as that entry; any other item as a row.
 * @throws ReadError when the envelope attribute holds no envelope
 */
export function itemRecord(item: Item, ctx: PluginContext, table: string): KindedRecord {
  if (ctx.peerNative) return { kind: 'row', record: { [NATIVE_ITEM]: item } };
  const envelope = item[ENVELOPE_ATTRIBUTE]?.S;
  if (envelope === undefined) return { kind: 'row', record: itemToRow(item) };
  return { kind: 'entry', record: envelopeEntry(envelope, ctx, table) as unknown as SyncRecord };
}

/**
 * The record deleting a removed item, of the kind the item was read as: its key attributes (a
 * row, or the native key item), or the entry's key when the old image shows an envelope.
 */
export function deletedRecord(keys: Item, oldImage: Item | undefined, ctx: PluginContext, table: string): KindedRecord {
  if (ctx.peerNative) return { kind: 'row', record: { [NATIVE_ITEM]: keys } };
  const envelope = oldImage?.[ENVELOPE_ATTRIBUTE]?.S;
  if (envelope === undefined) return { kind: 'row', record: itemToRow(keys) };
  const { key } = envelopeEntry(envelope, ctx, table);
  const gone: KvEntry = { key, type: 'string', value: Buffer.alloc(0), expireAt: null };
  return { kind: 'entry', record: gone as unknown as SyncRecord };
}

function envelopeEntry(envelope: string, ctx: PluginContext, table: string): KvEntry {
  try {
    return decodeEnvelope(envelope);
  } catch (err) {
    throw new ReadError(`table "${table}" (task ${ctx.task.id}): an item's ${ENVELOPE_ATTRIBUTE} is not an entry envelope: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Items are sparse: a row batch names the union of its records' attributes, so a writer fills the
 * attributes an item lacks with NULL instead of keeping only the first item's. Native items and
 * entries get no list.
 */
export function nameColumns(batch: Batch, ctx: PluginContext): void {
  if (batch.kind !== 'row' || ctx.peerNative || batch.records.length === 0) return;
  const columns = new Set<string>();
  for (const r of batch.records) for (const k in r) columns.add(k);
  batch.columns = [...columns];
}
