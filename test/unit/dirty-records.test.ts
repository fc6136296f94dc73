/**
 * The runtime side of dirty records: runShard splits a batch the writer refuses for its data
 * (RejectedError), writes every good record once, and never takes other errors for dirty data.
 */
import type { Batch, ReaderSession, Shard, SyncRecord, WriterSession } from '../../src/sdk';
import { DirtyLimitError, RejectedError, WriteError } from '../../src/errors';
import { parseParams } from '../../src/params';
import { dirtyLimitLine, errorLimits, recordJson, recordKey } from '../../src/runtime/dirty-budget';
import { DirtyBudget, DirtyRecord, runShard, ShardCounters } from '../../src/runtime/shard-runner';

const shard: Shard = { id: 's1', label: 'all', spec: {} };

function reader(records: SyncRecord[], readBatch: number): ReaderSession {
  return {
    async *read() {
      for (let i = 0; i < records.length; i += readBatch) {
        const part = records.slice(i, i + readBatch);
        yield { records: part, bytes: part.length * 10, position: i + part.length } satisfies Batch;
      }
    },
    async close() {},
  };
}

/** A transactional writer: a batch holding a bad record lands not at all. */
class FakeWriter implements WriterSession {
  readonly stored: number[] = [];
  calls = 0;
  constructor(private readonly bad: Set<number>, private readonly failOn?: (records: SyncRecord[]) => Error | undefined) {}
  async write(batch: Batch): Promise<number> {
    this.calls++;
    const other = this.failOn?.(batch.records);
    if (other) throw other;
    const culprit = batch.records.find((r) => this.bad.has(r.id as number));
    if (culprit) throw new RejectedError(`writing ${batch.records.length} rows failed: bad ${culprit.id}`, { reason: `bad ${culprit.id}` });
    this.stored.push(...batch.records.map((r) => r.id as number));
    return batch.records.length;
  }
  async flush() {}
  async close() {}
}

function budget(limit: number, found: DirtyRecord[]): DirtyBudget {
  return { limit, keyOf: (r) => r.id as number, store: async (d) => void found.push(...d), exceeded: (n) => `${n} dirty records exceed params.error_limit.records ${limit}` };
}

async function run(writer: WriterSession, records: SyncRecord[], dirty?: DirtyBudget): Promise<ShardCounters> {
  return runShard(reader(records, 100), writer, shard, {
    readBatch: 100, writeBatch: 50, signal: new AbortController().signal, where: 'task 1 shard s1', replayFirst: false, checkpointMs: 0,
    save: async () => undefined, dirty,
  }, () => undefined);
}

const rows = (n: number): SyncRecord[] => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));

describe('dirty records in the runtime', () => {
  test('a refused batch is split until the bad records are found; each good record is written once', async () => {
    const writer = new FakeWriter(new Set([7, 8, 120, 300]));
    const found: DirtyRecord[] = [];
    const totals = await run(writer, rows(300), budget(10, found));
    expect(totals).toMatchObject({ rowsRead: 300, rowsWritten: 296, rowsFailed: 4, rowsDirty: 4 });
    expect(writer.stored).toHaveLength(296);
    expect(new Set(writer.stored).size).toBe(296);
    expect(found.map((d) => [d.key, d.reason])).toEqual([[7, 'bad 7'], [8, 'bad 8'], [120, 'bad 120'], [300, 'bad 300']]);
    // Six clean chunks written in one call each; the three refused chunks of 50 cost a few calls, not 50.
    expect(writer.calls).toBeLessThan(6 + 3 * 2 * 7);
  });

  test('a dirty record is stored before the position of its batch is saved', async () => {
    const events: string[] = [];
    const store: DirtyBudget = {
      limit: 10, keyOf: (r) => r.id as number, exceeded: () => 'over',
      store: async (d) => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`stored ${d.map((x) => x.key).join()}`);
      },
    };
    await runShard(reader(rows(300), 100), new FakeWriter(new Set([150])), shard, {
      readBatch: 100, writeBatch: 50, signal: new AbortController().signal, where: 'task 1 shard s1', replayFirst: false, checkpointMs: 0,
      save: async (p) => void events.push(`saved ${p.position}`), dirty: store,
    }, () => undefined);
    expect(events).toEqual(['saved 100', 'stored 150', 'saved 200', 'saved 300', 'saved 300']);
  });

  test('past the shard\'s budget it fails with DirtyLimitError after writing the good records of that batch', async () => {
    const writer = new FakeWriter(new Set([5, 10, 15]));
    await expect(run(writer, rows(100), budget(2, []))).rejects.toThrow(DirtyLimitError);
    expect(writer.stored).toHaveLength(97);
  });

  test('without a budget a refused batch fails the shard as before', async () => {
    const writer = new FakeWriter(new Set([5]));
    await expect(run(writer, rows(100))).rejects.toThrow(RejectedError);
    expect(writer.stored).toHaveLength(0);
  });

  test('an error that is not about the data (a lost connection) is never counted as dirty', async () => {
    const lost = Object.assign(new WriteError('connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
    const writer = new FakeWriter(new Set([5]), (records) => (records.length < 50 ? lost : undefined));
    const found: DirtyRecord[] = [];
    await expect(run(writer, rows(100), budget(10, found))).rejects.toThrow('connection lost');
    expect(found).toHaveLength(0);
  });
});

describe('dirty-record params', () => {
  test('error_limit defaults to no dirty record allowed and is validated', () => {
    expect(errorLimits(parseParams('{}', 1))).toBeUndefined();
    expect(errorLimits(parseParams('{"error_limit":{"records":0,"percent":0}}', 1))).toBeUndefined();
    expect(errorLimits(parseParams('{"error_limit":{"records":10}}', 1))).toEqual({ records: 10, percent: 0 });
    expect(errorLimits(parseParams('{"error_limit":{"percent":0.5}}', 1))).toEqual({ records: Infinity, percent: 0.5 });
    expect(errorLimits(parseParams('{"error_limit":{"records":3,"percent":1}}', 1))).toEqual({ records: 3, percent: 1 });
    expect(() => parseParams('{"error_limit":{"percent":101}}', 1)).toThrow('params.error_limit.percent must be a number from 0 to 100, got 101');
    expect(() => parseParams('{"error_limit":{"records":-1}}', 1)).toThrow('params.error_limit.records must be a whole number >= 0, got -1');
    expect(() => parseParams('{"error_limit":{"record":5}}', 1)).toThrow(/params\.error_limit\.record is not a known key/);
    expect(() => parseParams('{"error_limit":5}', 1)).toThrow(/params\.error_limit must be an object \{"records": \.\.\., "percent": \.\.\.\}, got 5/);
    // The keys of the first design never shipped: they are unknown.
    expect(() => parseParams('{"max_dirty_records":5}', 1)).toThrow(/params\.max_dirty_records is not a known key/);
  });

  test('the one line names the count, the limit and the command that lists them', () => {
    expect(dirtyLimitLine(5, { records: 10, percent: 0 }, 12, 1000, 'prod')).toBe('task 5: 12 dirty records exceed params.error_limit.records 10; list them with goshift dirty -e prod -id 5');
    expect(dirtyLimitLine(5, { records: 10, percent: 0 }, 10, 1000, 'prod')).toBeUndefined();
    expect(dirtyLimitLine(5, { records: Infinity, percent: 1 }, 12, 1000, 'local')).toBe('task 5: 12 dirty records of 1000 read (1.20%) exceed params.error_limit.percent 1; list them with goshift dirty -e local -id 5');
    expect(dirtyLimitLine(5, { records: Infinity, percent: 1.2 }, 12, 1000, 'local')).toBeUndefined();
  });

  test('records are stored as exact plain JSON: bytes as text or b64, big integers as digits', () => {
    expect(recordJson({ a: 9007199254740993n, b: Buffer.from('hi'), c: Buffer.from([0xff]), d: null, e: new Uint8Array([0, 0xfe]), f: new Set(['x']) }))
      .toEqual({ a: '9007199254740993', b: 'hi', c: { b64: '/w==' }, d: null, e: { b64: 'AP4=' }, f: ['x'] });
    expect(recordKey({ id: 7n, note: 'x' }, 'row', ['id'])).toBe('7');
    expect(recordKey({ a: 1, b: 'x' }, 'row', ['a', 'b'])).toEqual([1, 'x']);
    expect(recordKey({ id: 7 }, 'row', [])).toBeNull();
    expect(recordKey({ key: Buffer.from([0xff, 0x00]), type: 'string', value: Buffer.from('v'), expireAt: null }, 'entry', [])).toEqual({ b64: '/wA=' });
  });
});
