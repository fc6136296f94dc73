/** How the connections of a run's shards in flight are split among its worker threads. */

/**
 * Connections a thread may hold per store side: its share of `inFlight` over `threads`, the first
 * `inFlight % threads` threads one more. Thread `slot` (0, 1, ... in start order) of 2 threads for
 * worker_num 5 gets 3 and 2: pools sized by shards per thread (3 and 3) would let both threads keep
 * 3 connections open once each had run 3 shards at some moment, 6 per side where 5 were promised.
 * A shard that finds its thread's pool busy waits for a connection (a shard holds at most one per
 * side at a time). A thread started in place of a dead one takes the next slot (modulo `threads`),
 * so after a thread died the threads may hold one share more than `inFlight`.
 * @example threadShare(5, 2, 0) // 3
 */
export function threadShare(inFlight: number, threads: number, slot: number): number {
  const t = Math.max(1, threads);
  return Math.max(1, Math.floor(inFlight / t) + (slot % t < inFlight % t ? 1 : 0));
}
