import type { KvEntry } from '../../src/sdk';
import { decodeBytes, encodeBytes } from '../../src/sdk/binary';
import { decodeEnvelope, encodeEnvelope, fromEnvelope, restoreEntries, toEnvelope } from '../../src/sdk/envelope';
import { expireAtFromTtl, isExpired, remainingMs } from '../../src/sdk/expiry';

const b = (s: string) => Buffer.from(s);
const bad = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]); // not UTF-8
const empty = Buffer.alloc(0);
const NOW = 1_700_000_000_000;

/** One entry of every type, with binary keys, fields and values, empty values and exact scores. */
const entries: KvEntry[] = [
  { key: b('s'), type: 'string', value: b('héllo 🚀'), expireAt: null },
  { key: bad, type: 'string', value: bad, expireAt: NOW + 60_000 },
  { key: b('empty'), type: 'string', value: empty, expireAt: null },
  { key: b('h'), type: 'hash', value: [[b('a'), b('1')], [bad, bad], [empty, empty], [b('ü'), b('{"x":1}')]], expireAt: NOW + 1 },
  { key: b('l'), type: 'list', value: [b('x'), bad, empty, b('x')], expireAt: null },
  { key: Buffer.from([0, 1, 2]), type: 'set', value: [b('a'), bad, empty], expireAt: null },
  { key: b('z'), type: 'zset', value: [[b('a'), '1.5'], [bad, '9007199254740993'], [empty, '-inf'], [b('t'), 'inf'], [b('e'), '1e-10']], expireAt: null },
  { key: b('x'), type: 'stream', value: [['1-1', [[b('f'), b('v')], [bad, empty]]], ['1700000000000-5', []]], expireAt: NOW + 5 },
  { key: b('nothing'), type: 'list', value: [], expireAt: null },
];

describe('portable envelope', () => {
  test('bytes are text when valid UTF-8, base64 otherwise, and decode exactly', () => {
    expect(encodeBytes(b('ü'))).toBe('ü');
    expect(encodeBytes(Buffer.from([0xff]))).toEqual({ b64: '/w==' });
    for (const x of [b('ü🚀'), bad, empty, Buffer.from([0xed, 0xa0, 0x80])]) expect(decodeBytes(JSON.parse(JSON.stringify(encodeBytes(x))), 'v').equals(x)).toBe(true);
    expect(() => decodeBytes(5, 'envelope.key')).toThrow(/envelope\.key must be a string or \{"b64"/);
    expect(() => decodeBytes({ b64: 'AA==', x: 1 }, 'k')).toThrow(/k must be/);
  });

  test.each(entries.map((e) => [`${e.type} ${JSON.stringify(toEnvelope(e).key)}`, e] as const))('%s round-trips byte-exact through JSON text', (_name, entry) => {
    const line = encodeEnvelope(entry);
    expect(line).not.toContain('\n');
    const back = decodeEnvelope(line);
    expect(back).toEqual(entry);
    // Buffers compared byte by byte (toEqual also matches Buffers by content; this says it twice).
    expect(Buffer.compare(back.key, entry.key)).toBe(0);
    expect(JSON.stringify(toEnvelope(back))).toBe(line);
    expect(decodeEnvelope(Buffer.from(line)).expireAt).toBe(entry.expireAt);
  });

  test('the document is readable: text as text, binary as {b64}, scores as text, absolute expiry', () => {
    expect(toEnvelope(entries[3])).toEqual({
      v: 1, key: 'h', type: 'hash', expireAt: NOW + 1,
      value: [['a', '1'], [{ b64: bad.toString('base64') }, { b64: bad.toString('base64') }], ['', ''], ['ü', '{"x":1}']],
    });
    expect(toEnvelope(entries[6]).value).toEqual([['a', '1.5'], [{ b64: bad.toString('base64') }, '9007199254740993'], ['', '-inf'], ['t', 'inf'], ['e', '1e-10']]);
    expect(toEnvelope(entries[7]).value).toEqual([['1-1', [['f', 'v'], [{ b64: bad.toString('base64') }, '']]], ['1700000000000-5', []]]);
  });

  test('expireAt stays absolute: a later restore grants only the time left, an expired entry is skipped and counted', () => {
    const docs = entries.map(toEnvelope);
    const early = restoreEntries(docs, NOW);
    expect(early).toEqual({ entries, skipped: 0 });
    const later = restoreEntries(JSON.parse(JSON.stringify(docs)), NOW + 10);
    expect(later.skipped).toBe(2); // the hash (NOW + 1) and the stream (NOW + 5)
    expect(later.entries.map((e) => e.key.toString())).not.toContain('h');
    const kept = later.entries.find((e) => e.key.equals(bad))!;
    expect(kept.expireAt).toBe(NOW + 60_000);
    expect(remainingMs(kept, NOW + 10)).toBe(59_990);
    expect(restoreEntries(docs, NOW + 60_000).skipped).toBe(3);
  });

  test('expiry helpers: TTL to absolute time, -1 = never', () => {
    expect(expireAtFromTtl(5000, NOW)).toBe(NOW + 5000);
    expect(expireAtFromTtl(-1, NOW)).toBeNull();
    expect(isExpired({ expireAt: NOW }, NOW)).toBe(true);
    expect(isExpired({ expireAt: NOW + 1 }, NOW)).toBe(false);
    expect(isExpired({ expireAt: null }, NOW)).toBe(false);
    expect(remainingMs({ expireAt: null }, NOW)).toBeNull();
  });

  test('native payloads and chunk pages have no envelope; malformed documents name the member', () => {
    expect(() => toEnvelope({ key: b('k'), type: 'hash', value: [], expireAt: null, native: b('x') })).toThrow(/native payload/);
    expect(() => toEnvelope({ key: b('k'), type: 'set', value: [], expireAt: null, chunk: { id: 'c', index: 0, last: false } })).toThrow(/chunked/);
    expect(() => fromEnvelope({ v: 2, key: 'k', type: 'string', value: '', expireAt: null })).toThrow(/envelope\.v must be 1/);
    expect(() => fromEnvelope({ v: 1, key: 'k', type: 'json', value: '', expireAt: null })).toThrow(/envelope\.type must be one of/);
    expect(() => fromEnvelope({ v: 1, key: 'k', type: 'string', value: '', expireAt: '5' })).toThrow(/envelope\.expireAt/);
    expect(() => fromEnvelope({ v: 1, key: 'k', type: 'hash', value: [['a']], expireAt: null })).toThrow(/envelope\.value\[0\] must be a \[first, second\] pair/);
    expect(() => fromEnvelope({ v: 1, key: 'k', type: 'zset', value: [['a', 1]], expireAt: null })).toThrow(/envelope\.value\[0\]\[1\] must be a string/);
    expect(() => decodeEnvelope('{"v":1,')).toThrow(/not valid JSON/);
    expect(() => fromEnvelope([1])).toThrow(/must be a JSON object/);
  });
});
