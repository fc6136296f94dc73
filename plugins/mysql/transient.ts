/** mysql2 / server error codes of passing trouble: a lost connection, a deadlock, a busy or restarting server. */
const transientCodes = new Set([
  'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED', 'ER_CLIENT_INTERACTION_TIMEOUT',
]);

/** Whether one MySQL error (not its causes: the core walks the chain) is worth retrying the shard for. */
export function isMysqlTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && transientCodes.has(code);
}
