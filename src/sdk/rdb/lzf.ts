/** LZF decompression (the compressed strings of RDB files). */

/**
 * Decompress LZF `src` into exactly `outLen` bytes.
 * @throws Error when the data is corrupt or does not fill `outLen`
 */
export function lzfDecompress(src: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    const ctrl = src[ip++];
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLen || ip + len > src.length) throw new Error('corrupt LZF data (literal run past the end)');
      for (let i = 0; i < len; i++) out[op++] = src[ip++];
    } else {
      let len = ctrl >> 5;
      if (len === 7) len += src[ip++];
      let ref = op - ((ctrl & 0x1f) << 8) - src[ip++] - 1;
      len += 2;
      if (ref < 0 || op + len > outLen) throw new Error('corrupt LZF data (back reference out of range)');
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new Error(`corrupt LZF data (${op} bytes instead of ${outLen})`);
  return out;
}
