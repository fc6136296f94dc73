import { isUtf8 } from 'node:buffer';

/**
 * The object key (below the target's prefix) of an entry key: the key itself when it is valid
 * UTF-8 (object keys are UTF-8 text), else `~b64~` and its base64url bytes. Only names the object:
 * the envelope in its body keeps the exact key, so a restore never parses the object key.
 *
 * @example entryObjectKey(Buffer.from('user:1')) === 'user:1'; entryObjectKey(Buffer.from([0xff])) === '~b64~_w'
 */
export function entryObjectKey(key: Buffer): string {
  return isUtf8(key) ? key.toString('utf8') : `~b64~${key.toString('base64url')}`;
}

/**
 * The entry key an object key names: the inverse of {@link entryObjectKey}. Used only where no body
 * is at hand (a deleted object); a restore reads the exact key from the envelope.
 * @example entryKeyOfObject('~b64~_w') // <Buffer ff>
 */
export function entryKeyOfObject(objectKey: string): Buffer {
  return objectKey.startsWith('~b64~') ? Buffer.from(objectKey.slice(5), 'base64url') : Buffer.from(objectKey, 'utf8');
}
