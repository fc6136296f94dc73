/** One key waiting to be copied by a change feed. */
export interface QueuedChange {
  key: Buffer;
  /** Epoch ms of the newest notification seen for the key. */
  at: number;
}

/**
 * The keys a Redis change feed has been told changed and has not copied yet: one slot per key
 * (a key changed ten times is copied once, with its value at copy time), at most `limit` keys.
 * A notification that finds the queue full is not dropped silently: it asks for a re-scan, which
 * copies every key again. Re-scans are also asked for on a reconnect and on a timer.
 */
export class ChangeQueue {
  private readonly keys = new Map<string, QueuedChange>();
  private rescan: string | undefined;
  private wake: (() => void) | undefined;
  /** Notifications seen (for the overflow warning). */
  seen = 0;

  constructor(private readonly limit: number) {}

  /** Keys waiting. */
  get size(): number {
    return this.keys.size;
  }

  /** A notification for `key` arrived now. */
  add(key: Buffer): void {
    this.seen++;
    const id = key.toString('latin1');
    const queued = this.keys.get(id);
    if (queued) queued.at = Date.now();
    else if (this.keys.size >= this.limit) this.requestRescan(`more than ${this.limit} changed keys waiting (params.stream_queue_keys)`);
    else this.keys.set(id, { key, at: Date.now() });
    this.notify();
  }

  /** Ask for a re-scan (the first reason given since the last {@link takeRescan} is kept). */
  requestRescan(reason: string): void {
    this.rescan ??= reason;
    this.notify();
  }

  /** The pending re-scan's reason, clearing it; undefined when none is asked. */
  takeRescan(): string | undefined {
    const r = this.rescan;
    this.rescan = undefined;
    return r;
  }

  /** Take up to `n` keys, oldest first. */
  take(n: number): QueuedChange[] {
    const out: QueuedChange[] = [];
    for (const [id, change] of this.keys) {
      if (out.length >= n) break;
      out.push(change);
      this.keys.delete(id);
    }
    return out;
  }

  /** Resolve when a key or a re-scan request arrives, `signal` fires, or after `ms`. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.keys.size > 0 || this.rescan !== undefined || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private notify(): void {
    this.wake?.();
  }
}
