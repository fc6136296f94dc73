import { limitText, RunRateLimiter } from '../../src/runtime/rate-limit';

describe('RunRateLimiter', () => {
  test('no limit set: nothing to wait for, not wanted', async () => {
    expect(RunRateLimiter.wanted({ max_rows_per_sec: 0, max_bytes_per_sec: 0 })).toBe(false);
    const limiter = new RunRateLimiter({ max_rows_per_sec: 0, max_bytes_per_sec: 0 });
    const t = Date.now();
    await limiter.acquire(1_000_000, 1e9);
    expect(Date.now() - t).toBeLessThan(50);
    expect(limiter.holdingBack).toBe(false);
  });

  test('one budget for every caller: 3 callers asking 400 rows each at 2,000 rows/s wait about 0.6 s in all', async () => {
    const limiter = new RunRateLimiter({ max_rows_per_sec: 2000, max_bytes_per_sec: 0 });
    const t = Date.now();
    await Promise.all([limiter.acquire(400, 0), limiter.acquire(400, 0), limiter.acquire(400, 0)]);
    const ms = Date.now() - t;
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(900);
    expect(limiter.holdingBack).toBe(true);
  });

  test('a batch bigger than one second of budget is taken in pieces instead of being refused', async () => {
    const limiter = new RunRateLimiter({ max_rows_per_sec: 0, max_bytes_per_sec: 10_000 });
    const t = Date.now();
    await limiter.acquire(1, 15_000);
    expect(Date.now() - t).toBeGreaterThanOrEqual(1400);
  });

  test('limits are named as plan and the progress line show them', () => {
    expect(limitText({ max_rows_per_sec: 5000, max_bytes_per_sec: 0 })).toBe('max_rows_per_sec 5000');
    expect(limitText({ max_rows_per_sec: 5000, max_bytes_per_sec: 1048576 })).toBe('max_rows_per_sec 5000, max_bytes_per_sec 1048576');
  });
});
