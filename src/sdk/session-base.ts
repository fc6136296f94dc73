/**
 * Base classes of plugin sessions: the lifecycle every session needs, written once. A session
 * extending them gets an idempotent `close()` that runs its cleanup once (even when called
 * concurrently), refuses use afterwards, and `Symbol.asyncDispose` for `await using`.
 */
import type { Batch } from './batch';
import type { ReadOptions } from './context';
import type { ReaderSession } from './reader';
import type { Shard } from './shard';
import type { WriterSession } from './writer';
import { PluginError } from '../errors';

/** Lifecycle shared by reader, writer and direct-copy sessions. */
export abstract class SessionBase {
  private closing?: Promise<void>;

  /** What the session is, for messages: `mysql writer session`. */
  protected abstract readonly description: string;

  /** Release what the session holds (pools, clients, temp files). Called once, by `close()`. */
  protected abstract release(): Promise<void>;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Throw when the session was closed (call at the top of every public method). */
  protected assertOpen(): void {
    if (this.closing) throw new PluginError(`${this.description} is closed`);
  }

  /** Release everything once; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A reader session with the shared lifecycle; implement `read` and `release`. */
export abstract class ReaderSessionBase extends SessionBase implements ReaderSession {
  abstract read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch>;
}

/**
 * A writer session with the shared lifecycle; implement `write` and `release`. `flush` defaults to
 * nothing (every write is durable when it resolves); override it when writes are buffered.
 */
export abstract class WriterSessionBase extends SessionBase implements WriterSession {
  abstract write(batch: Batch, shard: Shard): Promise<number>;

  async flush(_shard: Shard): Promise<void> {
    this.assertOpen();
  }
}
