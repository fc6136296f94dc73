/**
 * Redis replies and ioredis errors of passing trouble: a server loading its dataset, a cluster
 * resharding or failing over, a busy script, a lost connection (ioredis gives up a command with
 * "Reached the max retries per request limit" while the server restarts).
 */
const transientReply = /^(LOADING|TRYAGAIN|CLUSTERDOWN|BUSY|MASTERDOWN|READONLY)\b|Connection is closed|max retries per request|Stream isn't writeable|Failed to refresh slots cache/i;

/** Whether one Redis error (not its causes: the core walks the chain) is worth retrying the shard for. */
export function isRedisTransient(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | null;
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  return typeof e?.message === 'string' && transientReply.test(e.message);
}
