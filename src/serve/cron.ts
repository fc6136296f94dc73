/**
 * Cron expressions of `params.schedule`, read with croner: 5 fields (minute hour day month weekday)
 * or 6 with seconds first. Times are the server's local time.
 */
import { Cron } from 'croner';

/**
 * Parse a cron expression without scheduling anything.
 * @throws Error `params.schedule must be a cron expression ..., got "<expr>": <croner's reason>`
 * @example parseSchedule('0 3 * * *') // nightly at 03:00
 */
export function parseSchedule(expression: unknown): Cron {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new Error(`params.schedule must be a cron expression (5 fields "min hour day month weekday", or 6 with seconds first), got ${JSON.stringify(expression)}`);
  }
  try {
    return new Cron(expression, { paused: true });
  } catch (err) {
    throw new Error(`params.schedule must be a cron expression (5 fields "min hour day month weekday", or 6 with seconds first), got ${JSON.stringify(expression)}: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
  }
}

/** When a schedule fires next after `from` (default now), or null when it never does again. */
export function nextRunOf(expression: string, from: Date = new Date()): Date | null {
  return parseSchedule(expression).nextRun(from);
}
