/**
 * A synchronous reader over the bytes buffered so far. When an item does not fit, it throws
 * {@link NEED_MORE}; the parser then buffers more input and parses the item again from its start.
 */
import { lzfDecompress } from './lzf';

/** Thrown (not an Error: no stack) when the buffered bytes end inside an item. */
export const NEED_MORE = { needMore: true } as const;

/** Bytes the current item needs at least, set when {@link NEED_MORE} is thrown with a known length. */
export let needBytes = 0;

/** Thrown for data that cannot be an RDB (bad encoding): the parser turns it into an RdbError. */
export class RdbFormatError extends Error {}

/** Length encodings (the two top bits of the first byte equal to 3). */
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

/** A position in a buffer; every read advances it or throws {@link NEED_MORE}. */
export class Cursor {
  constructor(public buf: Buffer, public pos = 0) {}

  /** Make sure `n` more bytes are buffered. */
  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      needBytes = this.pos + n;
      throw NEED_MORE;
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** `n` raw bytes, a view into the buffer (copy before keeping it). */
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** 8-byte little-endian signed integer as a number (milliseconds). */
  i64le(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  u32le(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * An RDB length. Returns the length, or `-1 - enc` for the special string encodings
   * (int8/16/32, LZF) so callers can tell them apart.
   */
  lenOrEnc(): number {
    const b = this.u8();
    switch (b >> 6) {
      case 0:
        return b & 0x3f;
      case 1:
        return ((b & 0x3f) << 8) | this.u8();
      case 2:
        if (b === 0x80) {
          this.need(4);
          const v = this.buf.readUInt32BE(this.pos);
          this.pos += 4;
          return v;
        }
        if (b === 0x81) {
          this.need(8);
          const v = this.buf.readBigUInt64BE(this.pos);
          this.pos += 8;
          return Number(v); // beyond 2^53 only for ids and times that are read past

        }
        throw new RdbFormatError(`unknown length encoding 0x${b.toString(16)}`);
      default:
        return -1 - (b & 0x3f);
    }
  }

  /** An RDB length (no string encoding allowed). */
  len(): number {
    const n = this.lenOrEnc();
    if (n < 0) throw new RdbFormatError('a string encoding where a length was expected');
    return n;
  }

  /** An RDB string: raw, int-encoded (as its decimal text) or LZF-compressed (decompressed). */
  string(): Buffer {
    const n = this.lenOrEnc();
    if (n >= 0) return Buffer.from(this.bytes(n));
    const enc = -1 - n;
    switch (enc) {
      case ENC_INT8:
        return Buffer.from(String(this.buf.readInt8(this.advance(1))));
      case ENC_INT16:
        return Buffer.from(String(this.buf.readInt16LE(this.advance(2))));
      case ENC_INT32:
        return Buffer.from(String(this.buf.readInt32LE(this.advance(4))));
      case ENC_LZF: {
        const clen = this.len();
        const ulen = this.len();
        const packed = this.bytes(clen);
        try {
          return lzfDecompress(packed, ulen);
        } catch (err) {
          throw new RdbFormatError((err as Error).message);
        }
      }
      default:
        throw new RdbFormatError(`unknown string encoding ${enc}`);
    }
  }

  /** Step over an RDB string without decoding it. */
  skipString(): void {
    const n = this.lenOrEnc();
    if (n >= 0) return this.skip(n);
    const enc = -1 - n;
    if (enc === ENC_INT8) return this.skip(1);
    if (enc === ENC_INT16) return this.skip(2);
    if (enc === ENC_INT32) return this.skip(4);
    if (enc === ENC_LZF) {
      const clen = this.len();
      this.len();
      return this.skip(clen);
    }
    throw new RdbFormatError(`unknown string encoding ${enc}`);
  }

  /** The old text double of RDB type 3 zsets (length byte; 253 NaN, 254 +inf, 255 -inf). */
  textDouble(): number {
    const n = this.u8();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    return Number(this.bytes(n).toString('latin1'));
  }

  private advance(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }
}
