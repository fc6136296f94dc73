/**
 * The CSV codec of rows (RFC 4180: a header line of column names, fields quoted with `"` when they
 * need it, `""` for a quote inside, records ending in `\n`). goshift's conventions, so every value
 * comes back exactly:
 * - an unquoted `\N` is NULL;
 * - an unquoted `\x<hex>` is bytes (a Buffer: BLOB, VARBINARY, BIT);
 * - every other field is text; a quoted field is always text, and the writer quotes every text
 *   that is empty, starts with a backslash, or holds the delimiter, a quote, CR or LF.
 * So `""` is the empty string, `\N` NULL and `"\N"` the two characters `\N`.
 */
import type { SyncRecord } from '../records';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** One encoded field. */
export function encodeCsvField(v: unknown, delimiter: string): string {
  if (v === null || v === undefined) return '\\N';
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
  else if (v instanceof Date) s = v.toISOString();
  else s = JSON.stringify(v);
  if (s === '' || s.startsWith('\\') || s.includes(delimiter) || /["\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV record line (with its `\n`): `columns` of `record`, in order. */
export function encodeCsvRecord(record: SyncRecord, columns: string[], delimiter: string): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) line += (i ? delimiter : '') + encodeCsvField(record[columns[i]], delimiter);
  return `${line}\n`;
}

/** The header line (with its `\n`) naming `columns`. */
export function encodeCsvHeader(columns: string[], delimiter: string): string {
  return `${columns.map((c) => encodeCsvField(c, delimiter)).join(delimiter)}\n`;
}

/** One parsed field: its raw bytes and whether it was quoted. */
export interface CsvField {
  bytes: Buffer;
  quoted: boolean;
}

/** One parsed record and the byte offset just after it (its newline included). */
export interface CsvRecord {
  fields: CsvField[];
  end: number;
}

/** The value of a parsed field under goshift's conventions (see the file comment). */
export function decodeCsvField(f: CsvField): unknown {
  if (!f.quoted && f.bytes.length >= 2 && f.bytes[0] === 0x5c) {
    if (f.bytes.length === 2 && f.bytes[1] === 0x4e) return null;
    if (f.bytes[1] === 0x78) {
      const hex = f.bytes.toString('latin1', 2);
      if (hex.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(hex)) return Buffer.from(hex, 'hex');
    }
  }
  return f.bytes.toString('utf8');
}

/** A row from a parsed record and the header's column names. */
export function csvRow(rec: CsvRecord, columns: string[]): SyncRecord {
  if (rec.fields.length !== columns.length) throw new Error(`a record has ${rec.fields.length} fields, the header ${columns.length}`);
  const row: SyncRecord = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]] = decodeCsvField(rec.fields[i]);
  return row;
}

/**
 * A streaming RFC 4180 parser working on bytes, so it knows the exact byte offset after every
 * record (a resume position) and never holds more than the record being parsed. Quoted fields may
 * hold delimiters, quotes (`""`) and newlines; `\r\n` line ends are accepted; blank lines are
 * skipped. No CSV library is among goshift's dependencies, hence this small one.
 */
export class CsvParser {
  private readonly delim: number;
  private fields: CsvField[] = [];
  private pieces: Buffer[] = [];
  /** 0 field start, 1 unquoted, 2 quoted, 3 a quote inside a quoted field (closing or doubled). */
  private state = 0;
  private offset: number;

  /** @param start byte offset of the first chunk in the file's (decompressed) content */
  constructor(delimiter: string, start = 0) {
    this.delim = delimiter.charCodeAt(0);
    this.offset = start;
  }

  /** Records completed by this chunk. */
  *push(chunk: Buffer): Generator<CsvRecord> {
    let start = this.state === 1 || this.state === 2 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case 0:
          if (b === QUOTE) {
            this.state = 2;
            start = i + 1;
          } else if (b === this.delim) this.fields.push({ bytes: Buffer.alloc(0), quoted: false });
          else if (b === LF) {
            if (this.fields.length) {
              this.fields.push({ bytes: Buffer.alloc(0), quoted: false });
              yield this.record(i + 1);
            }
          } else {
            this.state = 1;
            start = i;
          }
          break;
        case 1:
          if (b === this.delim || b === LF) {
            this.endField(chunk.subarray(start, i), false, b === LF);
            this.state = 0;
            if (b === LF) {
              const rec = this.record(i + 1);
              if (rec.fields.length > 1 || rec.fields[0].bytes.length > 0) yield rec;
            }
          }
          break;
        case 2:
          if (b === QUOTE) {
            this.pieces.push(chunk.subarray(start, i));
            this.state = 3;
          }
          break;
        default:
          if (b === QUOTE) {
            this.state = 2;
            start = i;
          } else if (b === this.delim || b === LF) {
            this.endField(Buffer.alloc(0), true, false);
            this.state = 0;
            if (b === LF) yield this.record(i + 1);
          } else if (b !== CR) {
            throw new Error(`unexpected character after a closing quote at byte ${this.offset + i}`);
          }
      }
    }
    if (this.state === 1 || this.state === 2) this.pieces.push(Buffer.from(chunk.subarray(start)));
    this.offset += chunk.length;
  }

  /** The last record when the input does not end with a newline. @throws on an unterminated quote */
  *end(): Generator<CsvRecord> {
    if (this.state === 2) throw new Error(`a quoted field is not closed at the end of the file (byte ${this.offset})`);
    if (this.state === 1 || this.state === 3) this.endField(Buffer.alloc(0), this.state === 3, true);
    else if (this.fields.length) this.fields.push({ bytes: Buffer.alloc(0), quoted: false });
    this.state = 0;
    if (this.fields.length) {
      const rec = this.record(0);
      rec.end = this.offset;
      if (rec.fields.length > 1 || rec.fields[0].bytes.length > 0 || rec.fields[0].quoted) yield rec;
    }
  }

  private endField(last: Buffer, quoted: boolean, lineEnd: boolean): void {
    let bytes = this.pieces.length ? Buffer.concat([...this.pieces, last]) : Buffer.from(last);
    this.pieces = [];
    if (!quoted && lineEnd && bytes.length && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    this.fields.push({ bytes, quoted });
  }

  private record(endInChunk: number): CsvRecord {
    const rec = { fields: this.fields, end: this.offset + endInChunk };
    this.fields = [];
    return rec;
  }
}
