import { isUtf8 } from 'node:buffer';

/**
 * Bytes in a JSON document, exact: a JSON string when the bytes are valid UTF-8 (readable), else
 * `{"b64": "<base64>"}`.
 *
 * @example encodeBytes(Buffer.from('ü')) === 'ü'; encodeBytes(Buffer.from([0xff])) => { b64: '/w==' }
 */
export type JsonBytes = string | { b64: string };

/** Encode bytes as {@link JsonBytes}. */
export function encodeBytes(bytes: Buffer): JsonBytes {
  return isUtf8(bytes) ? bytes.toString('utf8') : { b64: bytes.toString('base64') };
}

/**
 * Decode {@link JsonBytes} back into the exact bytes.
 * @throws Error naming `where` when the value is neither form
 */
export function decodeBytes(value: unknown, where: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const b64 = (value as { b64?: unknown }).b64;
    if (typeof b64 === 'string' && Object.keys(value).length === 1 && /^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return Buffer.from(b64, 'base64');
  }
  throw new Error(`${where} must be a string or {"b64": "<base64>"}, got ${JSON.stringify(value)?.slice(0, 80)}`);
}

/** Bytes as text when valid UTF-8, else the Buffer itself (for row values: binary stays exact). */
export function textOrBytes(bytes: Buffer): string | Buffer {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}
