import type { Logger } from 'winston';
import { formatSummary, ProgressReporter } from '../../src/runtime/progress';

describe('progress', () => {
  test('without a TTY it logs a line with rows, percent, rate and shards every interval', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m) } as unknown as Logger;
    const counters = { shardsTotal: 4, shardsDone: 1, rowsRead: 50, rowsWritten: 40, rowsFailed: 0, rowsSkipped: 0, bytes: 1000 };
    const reporter = new ProgressReporter(logger, () => counters, 200, false, 20);
    reporter.start();
    // Wait for two lines (timers run late on a busy machine), then stop: no line may follow.
    for (let i = 0; i < 200 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    reporter.stop();
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(count).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBe(count);
    expect(lines[0]).toMatch(/^progress: 50 read \(25%\), 40 written, \d+ rows\/s, shards 1\/4$/);
  });

  test('the summary has start, end, elapsed, counts, rows/s and bytes/s', () => {
    const text = formatSummary({
      taskId: 5, runId: 9, status: 'success', startedAt: new Date('2026-01-01T00:00:00Z'), endedAt: new Date('2026-01-01T00:00:04Z'),
      shardsTotal: 3, shardsDone: 3, rowsRead: 1000, rowsWritten: 990, rowsFailed: 10, rowsSkipped: 0, bytes: 4 * 1024 * 1024,
    });
    expect(text).toBe([
      'task 5 run 9: success',
      '  start    2026-01-01T00:00:00.000Z',
      '  end      2026-01-01T00:00:04.000Z',
      '  elapsed  4.00 s',
      '  shards   3/3',
      '  rows     read 1000, written 990, failed 10',
      '  speed    250 rows/s, 1.0 MiB/s',
    ].join('\n'));
  });

  test('a copy whose bytes were not measured (same-server copy on fresh statistics) says so instead of 0.0 B/s', () => {
    const text = formatSummary({
      taskId: 5, runId: 9, status: 'success', startedAt: new Date('2026-01-01T00:00:00Z'), endedAt: new Date('2026-01-01T00:00:04Z'),
      shardsTotal: 3, shardsDone: 3, rowsRead: 1000, rowsWritten: 1000, rowsFailed: 0, rowsSkipped: 0, bytes: 0,
    });
    expect(text).toContain('  speed    250 rows/s (bytes not measured)');
    expect(text).not.toContain('0.0 B/s');
  });

  test('dirty records are named among the failed', () => {
    const text = formatSummary({
      taskId: 5, runId: 9, status: 'success', startedAt: new Date('2026-01-01T00:00:00Z'), endedAt: new Date('2026-01-01T00:00:04Z'),
      shardsTotal: 3, shardsDone: 3, rowsRead: 1000, rowsWritten: 995, rowsFailed: 5, rowsSkipped: 0, bytes: 0, rowsDirty: 5,
    });
    expect(text).toContain('  rows     read 1000, written 995, failed 5 (5 dirty: refused by the target and skipped)\n');
  });

  test('a resumed run says how many rows the resume skipped', () => {
    const text = formatSummary({
      taskId: 5, runId: 9, status: 'success', startedAt: new Date('2026-01-01T00:00:00Z'), endedAt: new Date('2026-01-01T00:00:04Z'),
      shardsTotal: 3, shardsDone: 3, rowsRead: 400, rowsWritten: 400, rowsFailed: 0, rowsSkipped: 600, bytes: 0,
    });
    expect(text).toContain('  rows     read 400, written 400, failed 0, skipped 600 (copied by an earlier run)');
  });
});
