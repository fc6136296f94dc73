/**
 * The compact encodings Redis stores inside RDB strings: listpack, ziplist, intset and zipmap.
 * Each decodes to its elements as Buffers (integers as their decimal text, as Redis replies them).
 */
import { RdbFormatError } from './cursor';

const int = (v: number | bigint): Buffer => Buffer.from(String(v));

function bad(what: string): never {
  throw new RdbFormatError(`corrupt ${what}`);
}

/** The elements of a listpack (`total bytes u32, count u16, entries, 0xFF`). */
export function listpackEntries(lp: Buffer): Buffer[] {
  if (lp.length < 7) bad('listpack (too short)');
  const out: Buffer[] = [];
  let p = 6;
  for (;;) {
    if (p >= lp.length) bad('listpack (no end byte)');
    const b = lp[p];
    let encLen: number;
    let dataLen = 0;
    if (b === 0xff) break;
    if ((b & 0x80) === 0) {
      out.push(int(b & 0x7f));
      encLen = 1;
    } else if ((b & 0xc0) === 0x80) {
      dataLen = b & 0x3f;
      encLen = 1;
      out.push(Buffer.from(lp.subarray(p + 1, p + 1 + dataLen)));
    } else if ((b & 0xe0) === 0xc0) {
      let v = ((b & 0x1f) << 8) | lp[p + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(int(v));
      encLen = 2;
    } else if ((b & 0xf0) === 0xe0) {
      dataLen = ((b & 0x0f) << 8) | lp[p + 1];
      encLen = 2;
      out.push(Buffer.from(lp.subarray(p + 2, p + 2 + dataLen)));
    } else {
      switch (b) {
        case 0xf0:
          dataLen = lp.readUInt32LE(p + 1);
          encLen = 5;
          out.push(Buffer.from(lp.subarray(p + 5, p + 5 + dataLen)));
          break;
        case 0xf1:
          out.push(int(lp.readInt16LE(p + 1)));
          encLen = 3;
          break;
        case 0xf2:
          out.push(int(lp.readIntLE(p + 1, 3)));
          encLen = 4;
          break;
        case 0xf3:
          out.push(int(lp.readInt32LE(p + 1)));
          encLen = 5;
          break;
        case 0xf4:
          out.push(int(lp.readBigInt64LE(p + 1)));
          encLen = 9;
          break;
        default:
          bad(`listpack (entry encoding 0x${b.toString(16)})`);
      }
    }
    const entryLen = encLen + dataLen;
    const backLen = entryLen <= 127 ? 1 : entryLen < 16383 ? 2 : entryLen < 2097151 ? 3 : entryLen < 268435455 ? 4 : 5;
    p += entryLen + backLen;
    if (p > lp.length) bad('listpack (entry past the end)');
  }
  return out;
}

/** The elements of a ziplist (`bytes u32, tail u32, count u16, entries, 0xFF`). */
export function ziplistEntries(zl: Buffer): Buffer[] {
  if (zl.length < 11) bad('ziplist (too short)');
  const out: Buffer[] = [];
  let p = 10;
  for (;;) {
    if (p >= zl.length) bad('ziplist (no end byte)');
    if (zl[p] === 0xff) break;
    p += zl[p] === 0xfe ? 5 : 1; // previous entry length
    const b = zl[p];
    switch (b >> 6) {
      case 0: {
        const n = b & 0x3f;
        out.push(Buffer.from(zl.subarray(p + 1, p + 1 + n)));
        p += 1 + n;
        continue;
      }
      case 1: {
        const n = ((b & 0x3f) << 8) | zl[p + 1];
        out.push(Buffer.from(zl.subarray(p + 2, p + 2 + n)));
        p += 2 + n;
        continue;
      }
      case 2: {
        const n = zl.readUInt32BE(p + 1);
        out.push(Buffer.from(zl.subarray(p + 5, p + 5 + n)));
        p += 5 + n;
        continue;
      }
    }
    switch (b) {
      case 0xc0:
        out.push(int(zl.readInt16LE(p + 1)));
        p += 3;
        break;
      case 0xd0:
        out.push(int(zl.readInt32LE(p + 1)));
        p += 5;
        break;
      case 0xe0:
        out.push(int(zl.readBigInt64LE(p + 1)));
        p += 9;
        break;
      case 0xf0:
        out.push(int(zl.readIntLE(p + 1, 3)));
        p += 4;
        break;
      case 0xfe:
        out.push(int(zl.readInt8(p + 1)));
        p += 2;
        break;
      default:
        if (b >= 0xf1 && b <= 0xfd) {
          out.push(int((b & 0x0f) - 1));
          p += 1;
        } else bad(`ziplist (entry encoding 0x${b.toString(16)})`);
    }
    if (p > zl.length) bad('ziplist (entry past the end)');
  }
  return out;
}

/** The members of an intset (`encoding u32 (2, 4, 8), count u32, values little-endian`). */
export function intsetEntries(is: Buffer): Buffer[] {
  if (is.length < 8) bad('intset (too short)');
  const width = is.readUInt32LE(0);
  const count = is.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + width * count > is.length) bad('intset (header)');
  const out: Buffer[] = new Array(count);
  for (let i = 0, p = 8; i < count; i++, p += width) {
    out[i] = int(width === 2 ? is.readInt16LE(p) : width === 4 ? is.readInt32LE(p) : is.readBigInt64LE(p));
  }
  return out;
}

/** The field, value, field, value ... of a zipmap (hashes of Redis before 2.6). */
export function zipmapEntries(zm: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 1;
  const len = (): number => {
    const b = zm[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      const v = zm.readUInt32LE(p + 1);
      p += 5;
      return v;
    }
    return -1;
  };
  for (;;) {
    if (p >= zm.length) bad('zipmap (no end byte)');
    const klen = len();
    if (klen < 0) break;
    out.push(Buffer.from(zm.subarray(p, p + klen)));
    p += klen;
    const vlen = len();
    if (vlen < 0) bad('zipmap (value length)');
    const free = zm[p++];
    out.push(Buffer.from(zm.subarray(p, p + vlen)));
    p += vlen + free;
  }
  return out;
}
