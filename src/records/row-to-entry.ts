import type { KvEntry } from '../sdk';
import { decodeEnvelope } from '../sdk/envelope';
import { expireAtFromTtl } from '../sdk/expiry';
import { KeyTemplate, preview } from '../sdk/key-template';
import type { MappingParams } from './params';

/** A row value as bytes: Buffers as they are, dates as ISO text, booleans as 1/0, objects as JSON. */
function bytesOf(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Date) return Buffer.from(v.toISOString());
  if (typeof v === 'boolean') return Buffer.from(v ? '1' : '0');
  if (v !== null && typeof v === 'object') return Buffer.from(JSON.stringify(v));
  return Buffer.from(String(v));
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'bigint') return String(v);
  return v;
}

/**
 * Maps rows to key-value entries (row -> entry, e.g. mysql -> redis): with value_format `envelope`
 * the entry persisted in `value_column` as it was (key, type, value, absolute expiry); otherwise the key from a key template,
 * the value as a hash of the columns (value_format `hash`/`auto`; NULL columns left out), one JSON
 * object string (`json`) or one column's string (`string`: value_column). The expiry comes from
 * `expire_at_column` (absolute, epoch ms, when the row has a value), else `ttl_column` (ms left,
 * when the row has a positive value) else `ttl_seconds`, made absolute.
 */
export class RowToEntry {
  private readonly template: KeyTemplate | null;
  private readonly format: 'hash' | 'json' | 'string' | 'envelope';

  /** `template`: the key template to use (params.key_template, or a to_table with placeholders); none for `envelope`. */
  constructor(private readonly p: MappingParams, template: string) {
    this.format = p.value_format === 'auto' ? 'hash' : p.value_format;
    this.template = this.format === 'envelope' && !template ? null : new KeyTemplate(template);
  }

  /**
   * The key of the entry a row maps to, from the row's key columns only (a deleted row): the key
   * template's fields, or with value_format `envelope` the `key_column` (default "key").
   */
  keyOf(row: Record<string, unknown>): Buffer {
    if (!this.template) {
      const key = row[this.p.key_column || 'key'];
      if (key === undefined || key === null) throw new Error(`key_column "${this.p.key_column || 'key'}" is missing in deleted row ${preview(row)}`);
      return Buffer.isBuffer(key) ? key : Buffer.from(String(key), 'utf8');
    }
    return Buffer.from(this.template.build(row), 'utf8');
  }

  /** The entry of one row; throws naming the column when a key column or the value column is missing. */
  convert(row: Record<string, unknown>, now: number = Date.now()): KvEntry {
    if (this.format === 'envelope') {
      // The whole entry, key and absolute expiry included, as persisted (value_format envelope).
      const doc = row[this.p.value_column];
      if (doc === undefined || doc === null) throw new Error(`value_column "${this.p.value_column}" holds no envelope in row ${preview(row)}`);
      return decodeEnvelope(Buffer.isBuffer(doc) || typeof doc === 'string' ? doc : JSON.stringify(doc));
    }
    const key = Buffer.from(this.template!.build(row), 'utf8');
    let ttlMs = this.p.ttl_seconds > 0 ? Math.round(this.p.ttl_seconds * 1000) : -1;
    if (this.p.ttl_column) {
      const t = Number(row[this.p.ttl_column]);
      if (Number.isFinite(t) && t > 0) ttlMs = Math.round(t);
    }
    let expireAt = expireAtFromTtl(ttlMs, now);
    const at = this.p.expire_at_column ? row[this.p.expire_at_column] : null;
    if (at !== null && at !== undefined && at !== '' && Number.isFinite(Number(at))) expireAt = Math.round(Number(at));
    if (this.format === 'string') {
      const v = row[this.p.value_column];
      if (v === undefined) throw new Error(`value_column "${this.p.value_column}" is missing in row ${preview(row)}`);
      return { key, type: 'string', value: v === null ? Buffer.alloc(0) : bytesOf(v), expireAt };
    }
    if (this.format === 'json') {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) if (k !== this.p.ttl_column && k !== this.p.expire_at_column) obj[k] = jsonSafe(v);
      return { key, type: 'string', value: Buffer.from(JSON.stringify(obj)), expireAt };
    }
    const fields: [Buffer, Buffer][] = [];
    for (const [k, v] of Object.entries(row)) {
      if (v === null || v === undefined || k === this.p.ttl_column || k === this.p.expire_at_column) continue;
      fields.push([Buffer.from(k), bytesOf(v)]);
    }
    return { key, type: 'hash', value: fields, expireAt };
  }
}
