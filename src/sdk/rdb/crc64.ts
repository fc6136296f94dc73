/**
 * CRC-64 with the Jones polynomial (0xAD93D23594C935A9, reflected, no final xor), the checksum of
 * RDB files and DUMP payloads. The npm `crc64` packages compute ECMA-182, which does not match.
 * The 64-bit state is kept as two 32-bit halves so no BigInt is needed per byte.
 */

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
{
  // Reflected polynomial 0x95AC9329AC4BC9B5 as halves.
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
}

/** A running CRC-64 Jones state as two unsigned 32-bit halves. */
export interface Crc64State {
  hi: number;
  lo: number;
}

/** Feed `buf[start, end)` into `state` (mutated). */
export function crc64Update(state: Crc64State, buf: Uint8Array, start = 0, end = buf.length): void {
  let lo = state.lo;
  let hi = state.hi;
  for (let i = start; i < end; i++) {
    const idx = (lo ^ buf[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
    hi = (hi >>> 8) ^ TABLE_HI[idx];
  }
  state.lo = lo >>> 0;
  state.hi = hi >>> 0;
}

/** The state as the 8 little-endian bytes RDB and DUMP store. */
export function crc64Bytes(state: Crc64State): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(state.lo, 0);
  out.writeUInt32LE(state.hi, 4);
  return out;
}

/**
 * CRC-64 Jones of `buf`, continuing from `seed` (default 0).
 * @example crc64Jones(Buffer.from('123456789')) === 0xe9c6d914c4b8d9can
 */
export function crc64Jones(buf: Uint8Array, seed = 0n): bigint {
  const state = { hi: Number((seed >> 32n) & 0xffffffffn), lo: Number(seed & 0xffffffffn) };
  crc64Update(state, buf);
  return (BigInt(state.hi) << 32n) | BigInt(state.lo);
}
