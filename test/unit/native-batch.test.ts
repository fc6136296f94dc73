/**
 * The runtime side of native batches (Batch.native): counted by their payload's count, handed on
 * whole, and read as records only where single records matter (a
 * dirty-record split, a --key filter); a smaller write_batch keeps them whole.
 */
import type { Batch, ReaderSession, Shard, SyncRecord, WriterSession } from '../../src/sdk';
import { RejectedError } from '../../src/errors';
import { DirtyRecord, runShard, ShardCounters, ShardRunOptions } from '../../src/runtime/shard-runner';

const shard: Shard = { id: 's1', label: 'all', spec: {} };

/** Batches of `size` ids, each as a native payload ("1,2,3") whose records() are counted. */
function nativeReader(total: number, size: number, calls: { records: number }): ReaderSession {
  return {
    async *read() {
      for (let first = 1; first <= total; first += size) {
        const ids = Array.from({ length: Math.min(size, total - first + 1) }, (_, i) => first + i);
        yield {
          kind: 'row', records: [], bytes: ids.length * 10, position: ids[ids.length - 1],
          native: {
            count: ids.length, body: Buffer.from(ids.join(',')), info: {},
            records: async () => {
              calls.records++;
              return ids.map((id) => ({ id }));
            },
          },
        } satisfies Batch;
      }
    },
    async close() {},
  };
}

/** A writer that takes payloads as they are, refusing any batch that holds id 7. */
class PayloadWriter implements WriterSession {
  readonly stored: number[] = [];
  readonly kinds: string[] = [];
  async write(batch: Batch): Promise<number> {
    const ids = batch.native ? batch.native.body.toString().split(',').map(Number) : batch.records.map((r) => r.id as number);
    this.kinds.push(batch.native ? `native ${ids.length}` : `records ${ids.length}`);
    if (ids.includes(7)) throw new RejectedError('bad 7', { reason: 'bad 7' });
    this.stored.push(...ids);
    return ids.length;
  }
  async flush() {}
  async close() {}
}

async function run(writer: WriterSession, reader: ReaderSession, opts: Partial<ShardRunOptions>): Promise<ShardCounters> {
  return runShard(reader, writer, shard, {
    readBatch: 4, writeBatch: 4, signal: new AbortController().signal, where: 'task 1 shard s1', replayFirst: false, checkpointMs: 0,
    save: async () => undefined, ...opts,
  }, () => undefined);
}

describe('native batches in the runtime', () => {
  test('are written whole and counted by their payload', async () => {
    const calls = { records: 0 };
    const writer = new PayloadWriter();
    const totals = await run(writer, nativeReader(6, 4, calls), {});
    expect(writer.kinds).toEqual(['native 4', 'native 2']);
    expect(totals).toMatchObject({ rowsRead: 6, rowsWritten: 6, rowsFailed: 0, bytes: 60 });
    expect(calls.records).toBe(0);
  });

  test('a write_batch smaller than the payload keeps the payload whole (a user\'s batch sizes keep the fast path)', async () => {
    const calls = { records: 0 };
    const writer = new PayloadWriter();
    const totals = await run(writer, nativeReader(6, 4, calls), { writeBatch: 3 });
    expect(writer.kinds).toEqual(['native 4', 'native 2']);
    expect(totals).toMatchObject({ rowsRead: 6, rowsWritten: 6 });
    expect(calls.records).toBe(0);
  });

  test('a refused payload is split as records under a dirty-record budget; every good record lands once', async () => {
    const calls = { records: 0 };
    const writer = new PayloadWriter();
    const found: DirtyRecord[] = [];
    const dirty = { limit: 5, keyOf: (r: SyncRecord) => r.id as number, store: async (d: DirtyRecord[]) => void found.push(...d), exceeded: (n: number) => `${n} dirty` };
    const totals = await run(writer, nativeReader(10, 4, calls), { dirty });
    expect(found.map((d) => d.key)).toEqual([7]);
    expect(writer.stored.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10]);
    expect(totals).toMatchObject({ rowsRead: 10, rowsWritten: 9, rowsDirty: 1 });
    expect(writer.kinds[1]).toBe('native 4');
    expect(writer.kinds[2]).toBe('records 4');
    expect(calls.records).toBe(1);
  });
});
