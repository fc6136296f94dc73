import type { Redis } from 'ioredis';

/** Reconnect attempts of a feed's subscriber before the feed fails (about a minute with the backoff). */
const MAX_RECONNECTS = 40;

/**
 * A dedicated pub/sub connection to one server that hands every key named on its keyspace
 * channel (`__keyspace@<db>__:<pattern>`) to `onKey`. Pub/sub is fire-and-forget: whatever is
 * published while the connection is down is lost, so every reconnect (once the subscription is
 * back) calls `onGap`, whose re-scan closes the hole.
 */
export class KeyspaceSubscriber {
  private sub: Redis | undefined;
  private subscribed = false;
  /** Set when the connection is lost for good: the feed fails with it. */
  failure: Error | undefined;

  constructor(
    private readonly node: Redis,
    private readonly address: string,
    private readonly db: number,
    private readonly pattern: string,
    private readonly onKey: (key: Buffer) => void,
    private readonly onGap: (reason: string) => void,
  ) {}

  /** The channel prefix before the key. */
  private get prefix(): string {
    return `__keyspace@${this.db}__:`;
  }

  /** Connect and subscribe; resolves once notifications flow. */
  async start(): Promise<void> {
    const prefixLength = Buffer.byteLength(this.prefix);
    const sub = this.node.duplicate({
      lazyConnect: true,
      // Subscribed again by hand on every `ready`, so a reconnect is known to be complete.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) => (times > MAX_RECONNECTS ? null : Math.min(100 * times, 2000)),
      connectionName: 'goshift-feed',
    });
    this.sub = sub;
    sub.on('error', () => undefined);
    sub.on('pmessageBuffer', (_pattern: unknown, channel: Buffer) => this.onKey(channel.subarray(prefixLength)));
    sub.on('close', () => { this.subscribed = false; });
    sub.on('end', () => {
      this.failure ??= new Error(`keyspace notification connection to ${this.address} lost and not re-established after ${MAX_RECONNECTS} attempts`);
    });
    sub.on('ready', () => {
      if (!this.subscribed && this.started) {
        this.subscribe().then(
          () => this.onGap(`notification connection to ${this.address} re-established`),
          (err: Error) => { this.failure ??= err; },
        );
      }
    });
    await sub.connect();
    await this.subscribe();
    this.started = true;
  }

  private started = false;

  private async subscribe(): Promise<void> {
    await this.sub!.psubscribe(`${this.prefix}${this.pattern}`);
    this.subscribed = true;
  }

  /** Unsubscribe and close. Idempotent. */
  close(): void {
    const sub = this.sub;
    this.sub = undefined;
    sub?.disconnect();
  }
}
