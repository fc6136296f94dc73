import type { JobRun } from './job-run';

/**
 * The progress words of a change feed (`-mode stream`): events applied per second over the last
 * few seconds (writes and deletes), and the lag, the time from the newest change seen at the
 * source until it was written.
 * @example new FeedMeter(run).note() // '1520 events/s, lag 0.3 s'
 */
export class FeedMeter {
  private sample = { at: Date.now(), events: 0 };
  private rate = 0;

  constructor(private readonly run: JobRun) {}

  /** Seconds behind the source, or undefined before the first change arrived. */
  lagSeconds(): number | undefined {
    const ms = this.run.feedLagMs();
    return ms === undefined ? undefined : ms / 1000;
  }

  /** The words for the progress line. */
  note(): string {
    const now = Date.now();
    const events = this.run.counters().rowsWritten;
    if (now - this.sample.at >= 1000) {
      this.rate = ((events - this.sample.events) * 1000) / (now - this.sample.at);
      this.sample = { at: now, events };
    }
    const lag = this.lagSeconds();
    return `${Math.round(this.rate)} events/s, lag ${lag === undefined ? '-' : `${lag.toFixed(1)} s`}`;
  }
}
