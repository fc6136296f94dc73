import { didYouMean } from '../../src/did-you-mean';
import { main } from '../../src/cli';
import { parseParams } from '../../src/params';

describe('did you mean', () => {
  test.each([
    ['wroker_num', ['worker_num', 'read_batch'], ' (did you mean "worker_num"?)'],
    ['mysq', ['mysql', 'redis', 'file'], ' (did you mean "mysql"?)'],
    ['rediss', ['mysql', 'redis'], ' (did you mean "redis"?)'],
    ['oracle', ['mysql', 'redis', 'file'], ''],
    ['worker_num', ['worker_num'], ''],
  ])('%s among %j gives %j', (word, candidates, hint) => {
    expect(didYouMean(word, candidates)).toBe(hint);
  });

  test('an unknown params key names the closest known one', () => {
    expect(() => parseParams('{"wroker_num": 4}', 7)).toThrow('task 7: params.wroker_num is not a known key (did you mean "worker_num"?)');
    expect(() => parseParams('{"pk": {"srcc": "id"}}', 7)).toThrow(/params\.pk\.srcc is not a known key \(did you mean "src"\?\)/);
  });

  test('goshift --version prints the package version', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => {
      out.push(s);
      return true;
    }) as unknown as typeof process.stdout.write;
    try {
      expect(await main(['--version'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toMatch(/^goshift \d+\.\d+\.\d+\n$/);
  });
});
