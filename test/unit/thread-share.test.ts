import { threadShare } from '../../src/runtime/thread-share';

describe('threadShare', () => {
  test('the threads of a pool together hold exactly worker_num connections per side, never fewer than 1 each', () => {
    expect([0, 1].map((slot) => threadShare(5, 2, slot))).toEqual([3, 2]);
    for (const inFlight of [1, 2, 3, 5, 7, 16, 100]) {
      for (const threads of [1, 2, 3, 4, 8]) {
        const t = Math.min(inFlight, threads);
        const shares = Array.from({ length: t }, (_, slot) => threadShare(inFlight, t, slot));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(inFlight);
        expect(Math.min(...shares)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
    // A thread started to replace a dead one takes the slot of its number modulo the threads.
    expect(threadShare(5, 2, 2)).toBe(3);
  });
});
