import { TokenBucket } from 'limiter';
import type { TaskParams } from '../sdk';

/**
 * The run's one budget of rows and bytes per second (`params.max_rows_per_sec`,
 * `params.max_bytes_per_sec`), kept in the main thread: every worker thread asks it before writing
 * a batch it read (see `throttle` in `src/runtime/worker.ts`), so the limit holds for the whole
 * run, not per thread. Buckets start empty and hold at most one second of budget.
 */
export class RunRateLimiter {
  private readonly rows?: TokenBucket;
  private readonly bytes?: TokenBucket;
  private waiting = 0;
  private heldUntil = 0;

  constructor(params: Pick<TaskParams, 'max_rows_per_sec' | 'max_bytes_per_sec'>) {
    if (params.max_rows_per_sec > 0) this.rows = bucket(params.max_rows_per_sec);
    if (params.max_bytes_per_sec > 0) this.bytes = bucket(params.max_bytes_per_sec);
  }

  /** True when the task sets a limit. */
  static wanted(params: Pick<TaskParams, 'max_rows_per_sec' | 'max_bytes_per_sec'>): boolean {
    return params.max_rows_per_sec > 0 || params.max_bytes_per_sec > 0;
  }

  /** Wait until `rows` and `bytes` fit the budget, then take them. */
  async acquire(rows: number, bytes: number): Promise<void> {
    this.waiting++;
    const started = Date.now();
    try {
      await take(this.rows, rows);
      await take(this.bytes, bytes);
    } finally {
      this.waiting--;
      if (Date.now() - started > 50) this.heldUntil = Date.now() + 1000;
    }
  }

  /** True while the budget holds batches back (a batch waited in the last second, or waits now). */
  get holdingBack(): boolean {
    return this.waiting > 0 || Date.now() < this.heldUntil;
  }
}

function bucket(perSecond: number): TokenBucket {
  return new TokenBucket({ bucketSize: perSecond, tokensPerInterval: perSecond, interval: 'second' });
}

/** Take `n` tokens, in pieces no bigger than the bucket (a batch may exceed one second of budget). */
async function take(b: TokenBucket | undefined, n: number): Promise<void> {
  if (!b || n <= 0) return;
  for (let left = n; left > 0; left -= b.bucketSize) await b.removeTokens(Math.min(left, b.bucketSize));
}

/** The limits a task sets, as the progress line and `plan` name them. */
export function limitText(params: Pick<TaskParams, 'max_rows_per_sec' | 'max_bytes_per_sec'>): string {
  const parts: string[] = [];
  if (params.max_rows_per_sec > 0) parts.push(`max_rows_per_sec ${params.max_rows_per_sec}`);
  if (params.max_bytes_per_sec > 0) parts.push(`max_bytes_per_sec ${params.max_bytes_per_sec}`);
  return parts.join(', ');
}
