/**
 * ioredis writes a few notices straight to `console.warn` (e.g. "[WARN] This Redis server's
 * `default` user does not require a password, but a password was supplied"), which would land in
 * the middle of goshift's output in a driver's words. They are dropped here; goshift checks the
 * same condition itself and logs it with the config entry it is about (see `openRedis`).
 */
const ioredisNotice = /^\[(WARN|ERROR)\] (Redis server does not require a password|This Redis server's `default` user does not require a password|The server returned "wrong number of arguments for 'auth' command")/;

let installed = false;

/** Drop ioredis's console notices in this thread (idempotent); every other warning passes through. */
export function silenceDriverNotices(): void {
  if (installed) return;
  installed = true;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && ioredisNotice.test(args[0])) return;
    original(...args);
  };
}

/** True when an AUTH error says the server has no password to check (the password is ignored). */
export function isNoPasswordNeeded(err: unknown): boolean {
  return /no password is set|without any password configured/i.test((err as Error)?.message ?? '');
}
