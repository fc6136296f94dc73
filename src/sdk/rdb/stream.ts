/**
 * Stream values (RDB types 15, 19, 21): listpacks of entries delta-encoded against each node's
 * master id, then the consumer groups with their pending entries and consumers. Decoded to the
 * entries as XRANGE returns them; groups are read past (they travel in the DUMP payload only).
 */
import { Cursor, RdbFormatError } from './cursor';
import { listpackEntries } from './encodings';
import { T } from './types';

type StreamValue = [string, [Buffer, Buffer][]][];

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

const num = (b: Buffer): bigint => BigInt(b.toString('latin1'));

/** The entries of one node listpack whose master id is `ms-seq`, appended to `out`. */
function nodeEntries(lp: Buffer, ms: bigint, seq: bigint, out: StreamValue): void {
  const e = listpackEntries(lp);
  let i = 0;
  const next = (): Buffer => {
    if (i >= e.length) throw new RdbFormatError('stream listpack ends inside an entry');
    return e[i++];
  };
  next(); // count of valid entries
  next(); // count of deleted entries
  const masterCount = Number(num(next()));
  const masterFields: Buffer[] = [];
  for (let k = 0; k < masterCount; k++) masterFields.push(next());
  next(); // master entry terminator (0)
  while (i < e.length) {
    const flags = Number(num(next()));
    const id = `${ms + num(next())}-${seq + num(next())}`;
    const fields: [Buffer, Buffer][] = [];
    if (flags & FLAG_SAMEFIELDS) {
      for (const f of masterFields) fields.push([f, next()]);
    } else {
      const n = Number(num(next()));
      for (let k = 0; k < n; k++) fields.push([next(), next()]);
    }
    next(); // lp-count, for walking backwards
    if (!(flags & FLAG_DELETED)) out.push([id, fields]);
  }
}

/** Read a stream value; returns its entries when `decode`, else an empty list. */
export function readStream(c: Cursor, rdbType: number, decode: boolean): StreamValue {
  const out: StreamValue = [];
  const nodes = c.len();
  for (let n = 0; n < nodes; n++) {
    const nodeKey = c.string();
    if (nodeKey.length !== 16) throw new RdbFormatError('stream node key is not a 128-bit id');
    if (!decode) {
      c.skipString();
      continue;
    }
    nodeEntries(c.string(), nodeKey.readBigUInt64BE(0), nodeKey.readBigUInt64BE(8), out);
  }
  c.len(); // length
  c.len(); // last id ms
  c.len(); // last id seq
  if (rdbType >= T.STREAM_LISTPACKS_2) {
    for (let k = 0; k < 5; k++) c.len(); // first id, max deleted id, entries added
  }
  const groups = c.len();
  for (let g = 0; g < groups; g++) {
    c.skipString(); // name
    c.len(); // last delivered id ms
    c.len(); // ... seq
    if (rdbType >= T.STREAM_LISTPACKS_2) c.len(); // entries read
    const pel = c.len();
    for (let p = 0; p < pel; p++) {
      c.skip(16 + 8); // id, delivery time
      c.len(); // delivery count
    }
    const consumers = c.len();
    for (let k = 0; k < consumers; k++) {
      c.skipString(); // name
      c.skip(8); // seen time
      if (rdbType >= T.STREAM_LISTPACKS_3) c.skip(8); // active time
      c.skip(16 * c.len()); // pending ids
    }
  }
  return out;
}
