import type { Batch, KvEntry, SyncRecord } from '../../src/sdk';
import { filterEntries } from '../../src/runtime/entry-filter';

const b = (s: string) => Buffer.from(s);
const now = 1_000_000;
const entries: KvEntry[] = [
  { key: b('user:1'), type: 'string', value: b('a'), expireAt: null },
  { key: b('user:2'), type: 'string', value: b('b'), expireAt: now - 1 },
  { key: b('user:3'), type: 'string', value: b('c'), expireAt: now + 1 },
  { key: b('user:4'), type: 'hash', value: [], expireAt: now - 1, chunk: { id: 'x', index: 0, last: false } },
];
const batch: Batch = { kind: 'entry', records: entries as unknown as SyncRecord[], bytes: 40 };

describe('filterEntries (--key and expiry, in the runtime)', () => {
  test('drops expired entries (never a page of a big key) and counts them', () => {
    const out = filterEntries(batch, undefined, now);
    expect(out.expired).toBe(1);
    expect((out.batch.records as unknown as KvEntry[]).map((e) => e.key.toString())).toEqual(['user:1', 'user:3', 'user:4']);
    expect(out.kept).toEqual([]);
  });

  test('keeps only the named keys and says which it kept', () => {
    const out = filterEntries(batch, new Set(['user:2', 'user:3', 'user:9']), now);
    expect(out.expired).toBe(1);
    expect(out.kept).toEqual(['user:3']);
    expect(out.batch.records).toHaveLength(1);
    expect(out.batch.bytes).toBe(10);
  });

  test('rows pass unchanged', () => {
    const rows: Batch = { records: [{ id: 1 }], bytes: 5 };
    expect(filterEntries(rows, new Set(['x']), now).batch).toBe(rows);
  });
});
