import pRetry from 'p-retry';
import type { GoshiftConfig } from '../config/schema';
import { ConfigError, isTransient } from '../errors';

/** Codes of a metadata server that is away for a moment (restarting, connection lost). */
const metaAwayCodes = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_CON_COUNT_ERROR']);

function metaAway(err: unknown): boolean {
  return isTransient(err) || metaAwayCodes.has(String((err as { code?: unknown })?.code));
}

/**
 * Run a metadata statement that must not be lost (a run's final status and counters, a task's
 * status): while the metadata database is away it is retried with jittered backoff for up to
 * `maxSeconds`; after that the error names the metadata database.
 * @throws ConfigError naming `task_meta` and its host when the database stays away
 */
export async function withMetaRetry<T>(config: GoshiftConfig, what: string, fn: () => Promise<T>, maxSeconds = 60): Promise<T> {
  try {
    return await pRetry(async () => {
      try {
        return await fn();
      } catch (err) {
        if (!metaAway(err)) throw new pRetry.AbortError(err as Error);
        throw err;
      }
    }, { retries: 1000, maxRetryTime: maxSeconds * 1000, minTimeout: 200, maxTimeout: 5000, factor: 2, randomize: true });
  } catch (err) {
    throw metaError(config, what, err);
  }
}

/** One line for a failed metadata statement: what, where (`task_meta` host or socket), why. */
export function metaError(config: GoshiftConfig, what: string, err: unknown): ConfigError {
  const m = config.task_meta;
  const where = m.socketPath ? `socket ${m.socketPath}` : `${m.host}:${m.port}`;
  const cause = (err as { originalError?: unknown })?.originalError ?? err;
  return new ConfigError(`metadata database task_meta at ${where} (schema ${m.db}): ${what} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}
