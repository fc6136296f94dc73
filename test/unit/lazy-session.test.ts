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

  test('closing a session that never opened does nothing', async () => {
    const lazy = new LazySession(async () => ({ close: async () => undefined }));
    await expect(lazy.close()).resolves.toBeUndefined();
  });
});
