import { oneAhead } from '../../src/runtime/shard-runner';

/** A source that logs each pull and each hand-out, so the order of reads is visible. */
function source(items: number[], log: string[], failAt?: number): AsyncIterator<number> {
  let i = 0;
  return {
    async next(): Promise<IteratorResult<number>> {
      const n = i++;
      log.push(`read ${n}`);
      await new Promise((r) => setImmediate(r));
      if (n === failAt) throw new Error(`read ${n} failed`);
      return n < items.length ? { value: items[n], done: false } : { value: undefined, done: true };
    },
  };
}

describe('oneAhead (read of batch n+1 overlapping the write of batch n)', () => {
  it('has the next read under way while the caller handles a batch, and yields every item once in order', async () => {
    const log: string[] = [];
    const it = oneAhead(source([10, 20, 30], log));
    const got: number[] = [];
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      log.push(`write ${r.value}`);
      got.push(r.value);
    }
    expect(got).toEqual([10, 20, 30]);
    // Read 1 starts before batch 0 is written, read 2 before batch 1, and so on.
    expect(log).toEqual(['read 0', 'read 1', 'write 10', 'read 2', 'write 20', 'read 3', 'write 30']);
  });

  it('reports a failed read at the next() that asks for it, not earlier', async () => {
    const log: string[] = [];
    const it = oneAhead(source([1, 2, 3], log, 1));
    await expect(it.next()).resolves.toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('read 1 failed');
  });
});
