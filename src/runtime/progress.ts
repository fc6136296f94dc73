import cliProgress from 'cli-progress';
import type { Logger } from 'winston';
import type { RunCounters } from '../meta/run-store';

/** End-of-job figures printed by the summary. */
export interface RunSummary extends RunCounters {
  taskId: number;
  runId: number;
  status: string;
  startedAt: Date;
  endedAt: Date;
}

/**
 * Shows a run's progress: a live bar (rows, rows/s, percent, ETA) on a TTY, a log line every
 * `intervalMs` otherwise.
 */
export class ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    private readonly logger: Logger,
    private readonly counters: () => RunCounters,
    private readonly estimatedRows: number,
    private readonly tty = Boolean(process.stderr.isTTY),
    private readonly intervalMs = 5000,
    /** Extra words for the line while something slows the run on purpose (the rate limit); '' = none. */
    private readonly note?: () => string,
  ) {}

  /** Start rendering. */
  start(): void {
    if (this.tty) {
      this.bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: ' {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | shards {shards} | ETA {remaining}{note}',
        hideCursor: true,
        etaBuffer: 50,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(Math.max(this.estimatedRows, 1), 0, { rate: 0, shards: '0/0', remaining: '-', note: '' });
      this.timer = setInterval(() => this.render(), 200);
    } else {
      this.timer = setInterval(() => this.logLine(), this.intervalMs);
    }
    this.timer.unref();
  }

  /** Stop rendering (leaves the final bar on screen). Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.bar) {
      this.render();
      this.bar.stop();
      this.bar = undefined;
    }
  }

  private rate(rows: number): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? Math.round(rows / seconds) : 0;
  }

  private render(): void {
    const c = this.counters();
    const total = Math.max(this.estimatedRows, c.rowsRead, 1);
    const rate = this.rate(c.rowsRead);
    const remaining = rate > 0 ? formatDuration((total - c.rowsRead) / rate) : '-';
    this.bar?.setTotal(total);
    const note = this.note?.() ?? '';
    this.bar?.update(c.rowsRead, { rate, shards: `${c.shardsDone}/${c.shardsTotal}`, remaining, note: note ? ` | ${note}` : '' });
  }

  private logLine(): void {
    const c = this.counters();
    const pct = this.estimatedRows > 0 ? ` (${Math.min(100, Math.round((100 * c.rowsRead) / this.estimatedRows))}%)` : '';
    const note = this.note?.() ?? '';
    this.logger.info(`progress: ${c.rowsRead} read${pct}, ${c.rowsWritten} written, ${this.rate(c.rowsRead)} rows/s, shards ${c.shardsDone}/${c.shardsTotal}${note ? ` (${note})` : ''}`);
  }
}

/** The end-of-job summary lines. */
export function formatSummary(s: RunSummary): string {
  const seconds = Math.max((s.endedAt.getTime() - s.startedAt.getTime()) / 1000, 0.001);
  return [
    `task ${s.taskId} run ${s.runId}: ${s.status}`,
    `  start    ${s.startedAt.toISOString()}`,
    `  end      ${s.endedAt.toISOString()}`,
    `  elapsed  ${seconds.toFixed(2)} s`,
    `  shards   ${s.shardsDone}/${s.shardsTotal}`,
    `  rows     read ${s.rowsRead}, written ${s.rowsWritten}, failed ${s.rowsFailed}${s.rowsDirty ? ` (${s.rowsDirty} dirty: refused by the target and skipped)` : ''}${s.rowsSkipped ? `, skipped ${s.rowsSkipped} (copied by an earlier run)` : ''}${s.rowsExpired ? `, expired ${s.rowsExpired} (not written: their expiry had passed)` : ''}`,
    `  speed    ${Math.round(s.rowsRead / seconds)} rows/s${s.bytes > 0 || s.rowsRead === 0 ? `, ${formatBytes(s.bytes / seconds)}/s` : ' (bytes not measured)'}`,
  ].join('\n');
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(1)} ${units[i]}`;
}
