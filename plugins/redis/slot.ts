/** Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its `{hash tag}`, modulo 16384. */

const table = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  table[i] = crc;
}

function crc16(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ buf[i]) & 0xff];
  return crc;
}

/** The part of a key that is hashed: the content of the first non-empty `{...}`, else the whole key. */
function hashRange(key: Buffer): [number, number] {
  const open = key.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) return [open + 1, close];
  }
  return [0, key.length];
}

/** Cluster slot of a key. */
export function keySlot(key: Buffer | string): number {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  const [a, b] = hashRange(buf);
  return crc16(buf, a, b) & 16383;
}

/**
 * A companion key in the same slot as `key` (for temp keys and processing sets):
 * `key` + suffix when the key already has a hash tag, else `{key}` + suffix.
 */
export function sameSlotKey(key: Buffer | string, suffix: string): Buffer {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  const [a, b] = hashRange(buf);
  const tagged = a > 0 || b < buf.length;
  const candidate = tagged ? Buffer.concat([buf, Buffer.from(suffix)]) : Buffer.concat([Buffer.from('{'), buf, Buffer.from('}' + suffix)]);
  if (keySlot(candidate) === keySlot(buf)) return candidate;
  // A key like "a{b" or "x}{" defeats the wrapping; fall back to a tag found by counting.
  const target = keySlot(buf);
  for (let i = 0; i < 1_000_000; i++) {
    const probe = Buffer.concat([buf, Buffer.from(`${suffix}{${i}}`)]);
    if (keySlot(probe) === target) return probe;
  }
  throw new Error(`cannot build a same-slot key for ${buf.toString()}`);
}
