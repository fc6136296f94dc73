import { Readable } from 'node:stream';
import type { SyncRecord } from '../../src/sdk';

const tsvSpecial = /[\t\n\\]/;
const tsvSpecialAll = /[\t\n\\]/g;
const tsvEscapes: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\\': '\\\\' };

/** One text field of a `LOAD DATA` file (tab separated, backslash escapes, `\N` for NULL). */
function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return tsvSpecial.test(v) ? v.replace(tsvSpecialAll, (c) => tsvEscapes[c]) : v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N';
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'bigint') return v.toString();
  // As `literal` writes one in statements: UTC text.
  if (v instanceof Date) return v.toISOString().slice(0, 23).replace('T', ' ');
  const s = JSON.stringify(v);
  return tsvSpecial.test(s) ? s.replace(tsvSpecialAll, (c) => tsvEscapes[c]) : s;
}

/** A `LOAD DATA LOCAL INFILE` payload and the column clause that maps it onto the target. */
export interface LoadDataPayload {
  /** The file content: one line per record. */
  body: Buffer;
  /** `(a, @v1, c) SET b = UNHEX(@v1)`: binary values travel as hex and are decoded by the server. */
  columnClause: string;
}

/**
 * Build the file for one batch. Columns holding any Buffer are sent as hex into a user variable
 * and decoded with UNHEX, so arbitrary bytes survive the utf8mb4 file.
 * @param quotedTargets target column names, already quoted, in `columns` order
 */
export function buildLoadData(records: SyncRecord[], columns: string[], quotedTargets: string[]): LoadDataPayload {
  const binary = columns.map(() => false);
  let text = '';
  for (const r of records) {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      const v = r[columns[i]];
      if (!binary[i] && Buffer.isBuffer(v)) binary[i] = true;
      line += (i ? '\t' : '') + field(v);
    }
    text += line + '\n';
  }
  const names = quotedTargets.map((t, i) => (binary[i] ? `@v${i}` : t));
  const sets = quotedTargets.map((t, i) => (binary[i] ? `${t} = UNHEX(@v${i})` : '')).filter(Boolean);
  return { body: Buffer.from(text, 'utf8'), columnClause: `(${names.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}` };
}

/**
 * Bytes per chunk of a `LOAD DATA LOCAL` file: mysql2 sends each chunk as one packet, and the
 * server refuses a packet over its max_allowed_packet (1 MiB is below every server's minimum default).
 */
const fileChunkBytes = 1024 * 1024;

/** The stream mysql2 sends when the server asks for the local file, in packet-sized chunks. */
export function payloadStream(body: Buffer): () => Readable {
  return () => Readable.from((function* chunks() {
    for (let at = 0; at < body.length; at += fileChunkBytes) yield body.subarray(at, at + fileChunkBytes);
  })());
}
