import { addCounters } from '../../src/meta/counters';

describe('addCounters', () => {
  test('adds the figures the delta has, starts missing ones at 0, leaves other fields alone', () => {
    const into = { shardId: 's1', rowsRead: 5, rowsWritten: 4, rowsFailed: 1, bytes: 50 };
    const out = addCounters(into, { rowsRead: 2, rowsWritten: 2, rowsDirty: 1, lagMs: 30 } as never);
    expect(out).toBe(into);
    expect(out).toEqual({ shardId: 's1', rowsRead: 7, rowsWritten: 6, rowsFailed: 1, bytes: 50, rowsDirty: 1 });
  });

  test('an undefined figure in the delta is not added (and not created)', () => {
    expect(addCounters({ rowsRead: 1, rowsWritten: 1, rowsFailed: 0, bytes: 1 }, { rowsRead: 1, rowsExpired: undefined })).toEqual({ rowsRead: 2, rowsWritten: 1, rowsFailed: 0, bytes: 1 });
  });
});
