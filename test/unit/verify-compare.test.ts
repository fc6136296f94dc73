import type { Batch, KvEntry, SyncRecord } from '../../src/sdk';
import { encodeEnvelope } from '../../src/sdk/envelope';
import { canonicalText, keyRecord, objectFingerprint, rowFingerprint, showId } from '../../src/verify/canonical';
import { Comparer } from '../../src/verify/compare';

describe('canonicalText: equal data from two stores compares equal', () => {
  test('decimal text, numbers, bytes, JSON text and NULLs normalise; real differences stay', () => {
    // mysql DECIMAL text vs a DynamoDB N read back; VARBINARY bytes vs UTF-8 text; a JSON column's text vs a map.
    const mysql = { id: 7, amount: '12.50', raw: Buffer.from('abc'), doc: '{"b": [1, 2], "a": "x"}', note: null };
    const other = { doc: { a: 'x', b: ['1', '2'] }, raw: 'abc', amount: 12.5, id: '7' };
    expect(canonicalText(mysql)).toBe(canonicalText(other));
    expect(canonicalText({ id: 7, amount: '12.51' })).not.toBe(canonicalText({ id: 7, amount: '12.5' }));
    expect(canonicalText(Buffer.from([0xff, 0]))).toBe(canonicalText({ $b64: Buffer.from([0xff, 0]).toString('base64') }));
    expect(canonicalText('a "quoted"\n')).toBe(JSON.stringify('a "quoted"\n'));
  });

  test('row keys: ids round-trip to display form and to a delete record', () => {
    const fp = rowFingerprint({ id: 42, k: Buffer.from([0xff]), v: 'x' }, { key: ['id', 'k'] });
    expect(showId('row', fp.id)).toBe('42,0xff');
    expect(keyRecord('row', fp.id, ['id', 'k'])).toEqual({ id: '42', k: Buffer.from([0xff]) });
  });

  test('an envelope object compares as its entry: set members in any order are equal', () => {
    const envelope = (members: string[]) => Buffer.from(encodeEnvelope({ key: Buffer.from('k'), type: 'set', value: members.map((m) => Buffer.from(m)), expireAt: null }));
    const meta = { 'goshift-envelope': '1', 'content-type': 'application/json' };
    const a = objectFingerprint({ key: 'k', body: envelope(['a', 'b']), metadata: meta });
    const b = objectFingerprint({ key: 'k', body: envelope(['b', 'a']), metadata: { 'goshift-envelope': '1' } });
    expect(a.hash).toBe(b.hash);
    expect(objectFingerprint({ key: 'k', body: Buffer.from('x') }).hash).not.toBe(objectFingerprint({ key: 'k', body: Buffer.from('y') }).hash);
  });
});

describe('Comparer', () => {
  const rows = (records: SyncRecord[]): Batch => ({ kind: 'row', records, bytes: 0 });
  const entry = (key: string, v: string, expireAt: number | null): SyncRecord => ({ key: Buffer.from(key), type: 'string', value: Buffer.from(v), expireAt } satisfies KvEntry) as unknown as SyncRecord;

  test('names missing, extra and different keys whichever side comes first, and keeps only the differing source records', () => {
    const c = new Comparer({ rows: { key: ['id'] }, ttlToleranceMs: 1000, keep: 10, expiryComparable: () => true });
    c.addTarget(rows([{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 9, v: 'extra' }]));
    c.addSource(rows([{ id: 1, v: 'a' }, { id: 2, v: 'B' }, { id: 3, v: 'c' }, { id: 4, v: 'd' }]), 'row');
    c.addTarget(rows([{ id: 4, v: 'd' }]));
    // Read twice (a shard boundary): counted once.
    c.addSource(rows([{ id: 1, v: 'a' }]), 'row');
    const r = c.finish();
    expect(r).toMatchObject({ sourceRows: 4, targetRows: 4, equal: 2, missing: ['3'], extra: ['9'], different: ['2'], overBound: 0 });
    expect(r.repairable.flatMap((b) => b.records)).toEqual([{ id: 2, v: 'B' }, { id: 3, v: 'c' }]);
  });

  test('entry expiries compare within the tolerance; a repair bound of 1 keeps one differing record', () => {
    const c = new Comparer({ rows: { key: [] }, ttlToleranceMs: 1000, keep: 1, expiryComparable: () => true });
    // Target first (as a repair reads): the bound holds differing records only.
    c.addTarget({ kind: 'entry', records: [entry('a', '1', 10_500), entry('b', '1', 12_000), entry('c', '1', 5)], bytes: 0 });
    c.addSource({ kind: 'entry', records: [entry('a', '1', 10_000), entry('b', '1', 10_000), entry('c', '1', null)], bytes: 0 }, 'entry');
    const r = c.finish();
    expect(r.equal).toBe(1);
    expect(r.different.sort()).toEqual(['b', 'c']);
    expect(r.repairable.flatMap((b) => b.records)).toHaveLength(1);
    expect(r.overBound).toBe(1);
  });
});
