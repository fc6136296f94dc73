/**
 * A key template such as `user:{id}` or `order:{shop_id}:{id}`: builds an entry's key from row
 * columns and, the other way, parses a key back into those columns.
 *
 * @example new KeyTemplate('order:{shop}:{id}').build({ shop: 7, id: 42 }) === 'order:7:42'
 */
export class KeyTemplate {
  /** Column names of the placeholders, in order. */
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

  /** A glob pattern (Redis SCAN MATCH) for keys built by this template: placeholders become `*`. */
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

/** A row, shortened for an error message. */
export function preview(row: Record<string, unknown>): string {
  const s = JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
