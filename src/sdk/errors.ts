/**
 * The error classes a plugin throws, from the one hierarchy in `src/errors.ts`. A plugin imports
 * them from here (through `src/sdk`), never from the core.
 * @example throw new ReadError(`reading ${table} failed: ${err.message}`, { cause: err })
 */
export { ConfigError, GoshiftError, PluginError, RdbError, ReadError, RejectedError, ReplicaLinkError, SyncRefusedError, TaskError, WriteError } from '../errors';
