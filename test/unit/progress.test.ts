import type { Logger } from 'winston';
import { formatSummary, ProgressReporter } from '../../src/runtime/progress';

describe('progress', () => {
  test('without a TTY it logs a line with rows, percent, rate and shards every interval', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m) } as unknown as Logger;
    const counters = { shardsTotal: 4, shardsDone: 1, rowsRead: 50, rowsWritten: 40, rowsFailed: 0, bytes: 1000 };
    const reporter = new ProgressReporter(logger, () => counters, 200, false, 20);
    reporter.start();
    await new Promise((r) => setTimeout(r, 70));
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
      shardsTotal: 3, shardsDone: 3, rowsRead: 1000, rowsWritten: 990, rowsFailed: 10, bytes: 4 * 1024 * 1024,
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
});
