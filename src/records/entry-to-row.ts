import type { KvEntry, SyncRecord } from '../sdk';
import { textOrBytes } from '../sdk/binary';
import { encodeEnvelope } from '../sdk/envelope';
import { remainingMs } from '../sdk/expiry';
import { KeyTemplate } from '../sdk/key-template';
import type { MappingParams } from './params';

const utf8 = (b: Buffer): string => b.toString('utf8');

/**
 * An entry's value as the JSON a row column holds for types without columns of their own:
 * list/set `["a", ...]`, hash/zset `{"field": "value"}` / `{"member": "score"}`,
 * stream `[["id", ["field", "value", ...]], ...]`.
 */
function valueJson(entry: KvEntry): string {
  switch (entry.type) {
    case 'hash':
    case 'zset':
      return JSON.stringify(Object.fromEntries((entry.value as [Buffer, Buffer | string][]).map(([a, b]) => [utf8(a), typeof b === 'string' ? b : utf8(b)])));
    case 'list':
    case 'set':
      return JSON.stringify((entry.value as Buffer[]).map(utf8));
    case 'stream':
      return JSON.stringify((entry.value as [string, [Buffer, Buffer][]][]).map(([id, fields]) => [id, fields.flatMap(([f, v]) => [utf8(f), utf8(v)])]));
    default:
      return JSON.stringify(utf8(entry.value as Buffer));
  }
}

/**
 * Maps key-value entries to rows (entry -> row, e.g. redis -> mysql): columns parsed from the key
 * by the key template (and/or the whole key in `key_column`); a hash spreads into one column per
 * field (unless value_format is `string`); a string goes to `value_column`, or, with value_format
 * `json`/`hash`, spreads its JSON object into columns; other types go to `value_column` as JSON.
 * `ttl_column` gets the ms left, `expire_at_column` the absolute expiry in epoch ms (both NULL when
 * the entry never expires). Text stays text when valid
 * UTF-8 and Buffers otherwise, so binary columns round-trip exactly.
 */
export class EntryToRow {
  private readonly template: KeyTemplate | null;
  private readonly keyColumn: string;

  /** `columns`: keep only these columns (params.columns); empty keeps all. */
  constructor(private readonly p: MappingParams, private readonly columns: string[] = []) {
    this.template = p.key_template ? new KeyTemplate(p.key_template) : null;
    this.keyColumn = p.key_column || (this.template ? '' : 'key');
  }

  /** The row of one entry, or null when its key does not fit the key template. */
  convert(entry: KvEntry, now: number = Date.now()): SyncRecord | null {
    if (this.p.value_format === 'envelope') return this.envelopeRow(entry, now);
    const key = utf8(entry.key);
    const row: SyncRecord = {};
    if (this.template) {
      const parsed = this.template.parse(key);
      if (!parsed) return null;
      Object.assign(row, parsed);
    }
    if (this.keyColumn) row[this.keyColumn] = key;
    const format = this.p.value_format;
    if (entry.type === 'hash' && format !== 'string') {
      for (const [f, v] of entry.value as [Buffer, Buffer][]) row[utf8(f)] = textOrBytes(v);
    } else if (entry.type === 'string') {
      const value = textOrBytes(entry.value as Buffer);
      if (!((format === 'json' || format === 'hash') && this.spreadJson(value, row))) row[this.p.value_column] = value;
    } else {
      row[this.p.value_column] = valueJson(entry);
    }
    if (this.p.ttl_column) {
      const left = remainingMs(entry, now);
      row[this.p.ttl_column] = left !== null && left > 0 ? left : null;
    }
    if (this.p.expire_at_column) row[this.p.expire_at_column] = entry.expireAt;
    if (this.columns.length > 0) {
      for (const k of Object.keys(row)) if (!this.columns.includes(k)) delete row[k];
    }
    return row;
  }

  /**
   * The key columns of the row an entry maps to (a deleted entry): the key template's fields and/or
   * the whole key in `key_column`; null when the key does not fit the template.
   */
  keyRow(entry: KvEntry): SyncRecord | null {
    const key = utf8(entry.key);
    if (this.p.value_format === 'envelope') return { [this.p.key_column || 'key']: key };
    const row: SyncRecord = {};
    if (this.template) {
      const parsed = this.template.parse(key);
      if (!parsed) return null;
      Object.assign(row, parsed);
    }
    if (this.keyColumn) row[this.keyColumn] = key;
    return row;
  }

  /**
   * value_format `envelope`: the key as text in `key_column` (default "key"; the envelope keeps the
   * exact bytes), the whole entry as envelope JSON in `value_column`, and the expiry columns.
   */
  private envelopeRow(entry: KvEntry, now: number): SyncRecord {
    const row: SyncRecord = { [this.p.key_column || 'key']: utf8(entry.key), [this.p.value_column]: encodeEnvelope(entry) };
    if (this.p.ttl_column) {
      const left = remainingMs(entry, now);
      row[this.p.ttl_column] = left !== null && left > 0 ? left : null;
    }
    if (this.p.expire_at_column) row[this.p.expire_at_column] = entry.expireAt ?? null;
    return row;
  }

  /** Spread a JSON object string into columns (nested values as JSON text); false when it is not one. */
  private spreadJson(value: string | Buffer, row: SyncRecord): boolean {
    let obj: unknown;
    try {
      obj = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value);
    } catch {
      return false;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return false;
    for (const [k, v] of Object.entries(obj)) row[k] = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
    return true;
  }
}
