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

/**
 * An RDB file or stream that cannot be read: a version newer than the parser knows, a bad
 * checksum, a file cut short, an unknown type. The message names the byte offset. Exit code 6.
 */
export class RdbError extends ReadError {
  /** Byte offset in the RDB stream where the problem was found, when known. */
  readonly offset?: number;
  constructor(message: string, options?: { cause?: unknown; offset?: number }) {
    super(message, options);
    this.offset = options?.offset;
  }
}

/** Writing the target failed. Exit code 7. */
export class WriteError extends GoshiftError {
  override readonly exitCode = 7;
}

/**
 * The target refused a batch because of its data (a value too long or out of range, NULL into
 * NOT NULL, a bad value, a duplicate key under `write_mode: insert`, a warning that would change a
 * value, an item over the store's size limit), and nothing of the batch was written. With
 * `params.error_limit` the runtime splits such a batch until the culprits are found, writes the
 * rest, and stores the culprits as dirty records (`goshift dirty`); without it the run fails as for
 * any write error. Never used for connection or server trouble. Exit code 7.
 */
export class RejectedError extends WriteError {
  /** Why the target refused the data, without goshift's prefix (the server's own words). */
  readonly reason: string;
  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    this.reason = options?.reason ?? message;
  }
}

/** More dirty records than `params.error_limit` (records or percent) allows. Exit code 7. */
export class DirtyLimitError extends WriteError {}

/**
 * A `--key` run finished, but some named keys were not copied (not in the source, or expired).
 * The run itself succeeded: every key found was copied. Exit code 8.
 */
export class KeysNotCopiedError extends GoshiftError {
  override readonly exitCode = 8;
}

/**
 * `goshift verify` found the target different from the source (missing, extra or different keys),
 * or `--repair` left some differences (extra rows kept without `--delete-extra`). Exit code 9.
 */
export class DifferencesFoundError extends GoshiftError {
  override readonly exitCode = 9;
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

/** Node's codes of passing network trouble any store can meet. Plugins add their own (`Plugin.isTransient`). */
const transientNetworkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether an error (or any error in its `cause` chain) is passing network trouble that a retry of
 * the same shard from its last position can fix. Store-specific codes (a MySQL deadlock, a Redis
 * LOADING reply) are each plugin's `isTransient`.
 */
export function isTransient(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 10; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && transientNetworkCodes.has(e.code)) return true;
  }
  return false;
}

const errorClasses: Record<string, new (message: string) => GoshiftError> = {
  GoshiftError, UsageError, ConfigError, TaskError, PluginError, ReadError, RdbError, WriteError, DifferencesFoundError, CancelledError,
  RejectedError, DirtyLimitError,
};

/**
 * Turn any thrown value into a {@link SerializedError}.
 * @param transient the run's transient test (default: network trouble only, {@link isTransient})
 */
export function serializeError(err: unknown, transient: (err: unknown) => boolean = isTransient): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack, transient: transient(err) };
  return { name: 'Error', message: String(err), transient: false };
}

/** Rebuild the goshift error class a worker threw (unknown names become `GoshiftError`). */
export function deserializeError(data: SerializedError): GoshiftError {
  const Cls = errorClasses[data.name] ?? GoshiftError;
  const err = new Cls(data.message);
  if (data.stack) err.stack = data.stack;
  return err;
}

/**
 * A Redis source refused to serve goshift as a replica (SYNC/PSYNC renamed, disabled or blocked, as
 * managed services do). The reader falls back to `read_method: "scan"` with a warning when it was
 * not asked for "sync" explicitly. Exit code 6.
 */
export class SyncRefusedError extends ReadError {}

/** The replication link was lost mid-transfer (closed by the master, e.g. its output buffer limit). Exit code 6. */
export class ReplicaLinkError extends ReadError {}
