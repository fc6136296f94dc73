import { LazySession } from '../../src/runtime/lazy-session';

describe('LazySession', () => {
  test('opens once, forgets a failed open so the next use opens again, closes what opened', async () => {
    let opens = 0;
    let closes = 0;
    const lazy = new LazySession(async () => {
      opens++;
      if (opens === 1) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return { close: async () => void closes++ };
    });
    await expect(lazy.get()).rejects.toThrow('ECONNREFUSED');
    const session = await lazy.get();
    expect(await lazy.get()).toBe(session);
    expect(opens).toBe(2);
    await lazy.close();
    await lazy.close();
    expect(closes).toBe(1);
  });

  test('closing a session that never opened does nothing: it neither opens nor closes one', async () => {
    let opens = 0;
    let closes = 0;
    const lazy = new LazySession(async () => {
      opens++;
      return { close: async () => void closes++ };
    });
    await lazy.close();
    expect({ opens, closes }).toEqual({ opens: 0, closes: 0 });
    // It is still usable afterwards: the first use opens, the next close closes that one.
    await lazy.get();
    await lazy.close();
    expect({ opens, closes }).toEqual({ opens: 1, closes: 1 });
  });
});
