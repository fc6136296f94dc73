import type { SyncRecord } from '../../src/contract';
import type { RedisParams } from './config';
import { text } from './records';

/**
 * mysql <-> redis mappings, declared in params:
 * - a key template such as `user:{id}` or `order:{shop_id}:{id}` builds a key from row columns
 *   and, the other way, parses a key back into those columns;
 * - the value is a hash (one field per column), a JSON object string, or one column's string.
 */
export class KeyTemplate {
  readonly columns: string[];
  private readonly parts: string[];
  private readonly regex: RegExp;

  constructor(readonly template: string) {
    this.columns = [];
    this.parts = [];
    const re = /\{([^{}]+)\}/g;
    let last = 0;
    let m: RegExpExecArray | null;
    let pattern = '^';
    while ((m = re.exec(template))) {
      this.parts.push(template.slice(last, m.index));
      this.columns.push(m[1].trim());
      pattern += escapeRegex(template.slice(last, m.index)) + '(.*?)';
      last = m.index + m[0].length;
    }
    this.parts.push(template.slice(last));
    pattern += escapeRegex(template.slice(last)) + '$';
    this.regex = new RegExp(pattern, 's');
  }

  /** The key of a row; throws naming the column when one is missing or null. */
  build(row: Record<string, unknown>): string {
    let out = this.parts[0];
    for (let i = 0; i < this.columns.length; i++) {
      const v = row[this.columns[i]];
      if (v === null || v === undefined) throw new Error(`key_template "${this.template}": column "${this.columns[i]}" is ${v === null ? 'NULL' : 'missing'} in row ${preview(row)}`);
      out += (Buffer.isBuffer(v) ? v.toString('utf8') : v instanceof Date ? v.toISOString() : String(v)) + this.parts[i + 1];
    }
    return out;
  }

  /** Columns parsed out of a key, or null when the key does not fit the template. */
  parse(key: string): Record<string, string> | null {
    const m = this.regex.exec(key);
    if (!m) return null;
    const out: Record<string, string> = {};
    this.columns.forEach((c, i) => { out[c] = m[i + 1]; });
    return out;
  }

  /** A SCAN MATCH pattern for keys built by this template: placeholders become `*`. */
  matchPattern(): string {
    return this.parts.map(escapeGlob).join('*');
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function preview(row: Record<string, unknown>): string {
  const s = JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function scalar(v: unknown): string | Buffer {
  if (Buffer.isBuffer(v) || typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'bigint') return String(v);
  return v;
}

/** What the writer stores for one row. */
export interface RowValue {
  key: string;
  type: 'hash' | 'string';
  /** hash: flat [field, value, ...]; string: [value]. */
  args: (string | Buffer)[];
  ttlMs: number;
}

/** Turns MySQL rows into Redis keys and values (mysql -> redis). */
export class RowToRedis {
  private readonly template: KeyTemplate;
  private readonly format: 'hash' | 'json' | 'string';

  constructor(private readonly p: RedisParams, fallbackTemplate: string) {
    this.template = new KeyTemplate(p.key_template || fallbackTemplate);
    this.format = p.value_format === 'auto' ? 'hash' : p.value_format;
  }

  convert(row: Record<string, unknown>): RowValue {
    const key = this.template.build(row);
    let ttlMs = this.p.ttl_seconds > 0 ? Math.round(this.p.ttl_seconds * 1000) : -1;
    if (this.p.ttl_column) {
      const t = Number(row[this.p.ttl_column]);
      if (Number.isFinite(t) && t > 0) ttlMs = Math.round(t);
    }
    if (this.format === 'string') {
      const v = row[this.p.value_column];
      if (v === undefined) throw new Error(`value_column "${this.p.value_column}" is missing in row ${preview(row)}`);
      return { key, type: 'string', args: [v === null ? '' : scalar(v)], ttlMs };
    }
    if (this.format === 'json') {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) if (k !== this.p.ttl_column) obj[k] = jsonSafe(v);
      return { key, type: 'string', args: [JSON.stringify(obj)], ttlMs };
    }
    const args: (string | Buffer)[] = [];
    for (const [k, v] of Object.entries(row)) {
      if (v === null || v === undefined || k === this.p.ttl_column) continue;
      args.push(k, scalar(v));
    }
    return { key, type: 'hash', args, ttlMs };
  }
}

/** Turns Redis keys into MySQL rows (redis -> mysql). */
export class RedisToRow {
  private readonly template: KeyTemplate | null;
  private readonly keyColumn: string;
  skipped = 0;

  constructor(private readonly p: RedisParams) {
    this.template = p.key_template ? new KeyTemplate(p.key_template) : null;
    this.keyColumn = p.key_column || (this.template ? '' : 'key');
  }

  /** The row for one key, or null when the key does not fit the key template. */
  convert(key: string, type: string, raw: unknown, ttlMs: number, columns: string[]): SyncRecord | null {
    const row: SyncRecord = {};
    if (this.template) {
      const parsed = this.template.parse(key);
      if (!parsed) {
        this.skipped++;
        return null;
      }
      Object.assign(row, parsed);
    }
    if (this.keyColumn) row[this.keyColumn] = key;
    const format = this.p.value_format;
    if (type === 'hash' && format !== 'string') {
      const flat = raw as unknown[];
      for (let i = 0; i < flat.length; i += 2) row[String(text(flat[i]))] = text(flat[i + 1]);
    } else if (type === 'string') {
      const value = text(raw);
      let spread = false;
      if (format === 'json' || format === 'hash') {
        try {
          const obj = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
          if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
            for (const [k, v] of Object.entries(obj)) row[k] = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
            spread = true;
          }
        } catch {
          // not JSON: stored whole below
        }
      }
      if (!spread) row[this.p.value_column] = value;
    } else {
      row[this.p.value_column] = JSON.stringify(genericJson(type, raw));
    }
    if (this.p.ttl_column) row[this.p.ttl_column] = ttlMs > 0 ? ttlMs : null;
    if (columns.length > 0) {
      for (const k of Object.keys(row)) if (!columns.includes(k)) delete row[k];
    }
    return row;
  }
}

function genericJson(type: string, raw: unknown): unknown {
  const s = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
  if (type === 'hash' || type === 'zset') {
    const flat = raw as unknown[];
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < flat.length; i += 2) obj[String(s(flat[i]))] = s(flat[i + 1]);
    return obj;
  }
  if (Array.isArray(raw)) return raw.map((v) => (Array.isArray(v) ? genericJson('list', v) : s(v)));
  return s(raw);
}
