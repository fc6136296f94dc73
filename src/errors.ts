/**
 * One error hierarchy for goshift. Every error carries a one-line message meant for the user
 * (what failed, which task/key/path, what to do) and an optional `cause`. The CLI maps them to an
 * exit code with `instanceof`, never by matching message text.
 */

/** Base class of every goshift error. */
export class GoshiftError extends Error {
  /** Process exit code the CLI uses for this error. Default is 1. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line: unknown flag value, missing `-id`, ... Exit code 2. */
export class UsageError extends GoshiftError {
  override readonly exitCode = 2;
}

/** Config file missing, invalid, or without the entry a task needs. Exit code 3. */
export class ConfigError extends GoshiftError {
  override readonly exitCode = 3;
}

/** Task row missing, offline, or with invalid params. Exit code 4. */
export class TaskError extends GoshiftError {
  override readonly exitCode = 4;
}

/** Unknown store type, or a plugin without the needed reader/writer. Exit code 5. */
export class PluginError extends GoshiftError {
  override readonly exitCode = 5;
}

/** Reading the source failed (unreachable host, wrong password, missing table, ...). Exit code 6. */
export class ReadError extends GoshiftError {
  override readonly exitCode = 6;
}

/** Writing the target failed. Exit code 7. */
export class WriteError extends GoshiftError {
  override readonly exitCode = 7;
}

/** The run was interrupted (Ctrl-C, SIGTERM). Exit code 130. */
export class CancelledError extends GoshiftError {
  override readonly exitCode = 130;
}

/**
 * Plain, structured-clone safe form of an error, so a worker thread can hand it to the main thread
 * and the main thread can rebuild the same class.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Worth retrying: see {@link isTransient}. */
  transient?: boolean;
}

/** Error codes of passing trouble: a lost connection, a deadlock, a busy or restarting server. */
const transientCodes = new Set([
  'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
]);

/** Redis replies that mean "try again shortly". */
const transientRedisReply = /^(LOADING|TRYAGAIN|CLUSTERDOWN|BUSY|MASTERDOWN)\b|Connection is closed/;

/**
 * Whether an error (or any error in its `cause` chain) is passing trouble that a retry of the same
 * shard can fix. Shards are idempotent, so retrying one is safe.
 */
export function isTransient(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 10; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && transientCodes.has(e.code)) return true;
    if (typeof e.message === 'string' && transientRedisReply.test(e.message)) return true;
  }
  return false;
}

const errorClasses: Record<string, new (message: string) => GoshiftError> = {
  GoshiftError, UsageError, ConfigError, TaskError, PluginError, ReadError, WriteError, CancelledError,
};

/** Turn any thrown value into a {@link SerializedError}. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack, transient: isTransient(err) };
  return { name: 'Error', message: String(err), transient: false };
}

/** Rebuild the goshift error class a worker threw (unknown names become `GoshiftError`). */
export function deserializeError(data: SerializedError): GoshiftError {
  const Cls = errorClasses[data.name] ?? GoshiftError;
  const err = new Cls(data.message);
  if (data.stack) err.stack = data.stack;
  return err;
}
