import type { KvEntry } from './records';

/**
 * Absolute expiry from a time to live: `now + ttlMs`, or null when `ttlMs` is negative (no expiry,
 * Redis' PTTL -1). A TTL of 0 means "expires now".
 * @example expireAtFromTtl(5000, 1_000) === 6_000
 */
export function expireAtFromTtl(ttlMs: number, now: number = Date.now()): number | null {
  return ttlMs >= 0 ? now + ttlMs : null;
}

/** Milliseconds an entry has left (may be 0 or negative when it expired), or null when it never expires. */
export function remainingMs(entry: Pick<KvEntry, 'expireAt'>, now: number = Date.now()): number | null {
  return entry.expireAt === null ? null : entry.expireAt - now;
}

/** Whether an entry's expiry has passed at `now`. */
export function isExpired(entry: Pick<KvEntry, 'expireAt'>, now: number = Date.now()): boolean {
  return entry.expireAt !== null && entry.expireAt <= now;
}
