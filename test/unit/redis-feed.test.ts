/** The pieces of the Redis change feed that need no server: notification flags and the change queue. */
import { ChangeQueue } from '../../plugins/redis/change-queue';
import { missingNotifyFlags, withFeedFlags } from '../../plugins/redis/notify';

describe('notify-keyspace-events flags', () => {
  test.each([
    ['', 'Kg$lshzxet'],
    ['xE', 'Kg$lshzet'],
    ['AKE', ''],
    ['AK', ''],
    ['KEA', ''],
    ['g$lshzxetK', ''],
    ['A', 'K'],
  ])('"%s" lacks "%s"', (current, missing) => {
    expect(missingNotifyFlags(current)).toBe(missing);
  });

  test('setting keeps what the server already publishes', () => {
    const flags = withFeedFlags('Ex');
    expect(missingNotifyFlags(flags)).toBe('');
    expect(flags).toContain('E');
  });
});

describe('ChangeQueue', () => {
  const k = (s: string) => Buffer.from(s);

  test('a key changed many times waits once, with its newest time, and keys come out oldest first', async () => {
    const q = new ChangeQueue(10);
    q.add(k('a'));
    q.add(k('b'));
    const first = q.take(10)[0].at;
    q.add(k('a'));
    await new Promise((r) => setTimeout(r, 5));
    q.add(k('b'));
    q.add(k('a'));
    expect(q.size).toBe(2);
    const out = q.take(10);
    expect(out.map((c) => c.key.toString())).toEqual(['a', 'b']);
    expect(out[0].at).toBeGreaterThanOrEqual(first);
    expect(q.size).toBe(0);
  });

  test('a full queue asks for a re-scan instead of dropping silently; the reason is taken once', () => {
    const q = new ChangeQueue(2);
    q.add(k('a'));
    q.add(k('b'));
    expect(q.takeRescan()).toBeUndefined();
    q.add(k('a')); // already waiting: no overflow
    expect(q.takeRescan()).toBeUndefined();
    q.add(k('c'));
    expect(q.size).toBe(2);
    expect(q.takeRescan()).toMatch(/more than 2 changed keys waiting/);
    expect(q.takeRescan()).toBeUndefined();
  });

  test('wait wakes on a key, on a re-scan request and on abort, else after the timeout', async () => {
    const q = new ChangeQueue(10);
    const ac = new AbortController();
    let t = Date.now();
    setTimeout(() => q.add(k('x')), 20);
    await q.wait(5000, ac.signal);
    expect(Date.now() - t).toBeLessThan(1000);
    q.take(1);
    t = Date.now();
    setTimeout(() => q.requestRescan('test'), 20);
    await q.wait(5000, ac.signal);
    expect(Date.now() - t).toBeLessThan(1000);
    q.takeRescan();
    t = Date.now();
    setTimeout(() => ac.abort(), 20);
    await q.wait(5000, ac.signal);
    expect(Date.now() - t).toBeLessThan(1000);
    t = Date.now();
    await q.wait(50, new AbortController().signal);
    expect(Date.now() - t).toBeGreaterThanOrEqual(40);
  });
});
