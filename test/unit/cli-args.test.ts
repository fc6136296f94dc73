import { normalizeArgv, parseCommandLine } from '../../src/cli-args';
import { UsageError } from '../../src/errors';

describe('command line: goshift flags parse to the right call', () => {
  const cases: [string, string[], unknown][] = [
    ['goshift literal', ['-e', 'prod', '-id', '5'], { command: 'run', options: { env: 'prod', id: 5, mode: 'init', force: false, usedEnv: true } }],
    ['goshift full form', ['-c', './etc', '-e', 'local', '-id', '5', '-mode', 'init', '-cmd', 'sync'], { command: 'run', options: { configDir: './etc', env: 'local', id: 5, mode: 'init' } }],
    ['-UsedEnv=false', ['-e', 'prod', '-id', '7', '-UsedEnv=false'], { command: 'run', options: { id: 7, usedEnv: false } }],
    ['-id=5', ['-id=5'], { command: 'run', options: { env: 'local', id: 5 } }],
    ['long forms', ['--env', 'prod', '--id', '9', '--config-dir', '/x', '--mode', 'incr'], { command: 'run', options: { env: 'prod', id: 9, configDir: '/x', mode: 'incr' } }],
    ['run subcommand', ['run', '-e', 'prod', '-id', '5', '--force'], { command: 'run', options: { id: 5, force: true } }],
    ['plan subcommand', ['plan', '-e', 'prod', '-id', '5'], { command: 'plan', options: { env: 'prod', id: 5 } }],
    ['-cmd plan', ['-e', 'prod', '-id', '5', '-cmd', 'plan'], { command: 'plan', options: { id: 5 } }],
    ['tasks', ['tasks', '-e', 'prod'], { command: 'tasks', options: { env: 'prod' } }],
    ['-cmd init-db', ['-cmd', 'init-db', '-e', 'test'], { command: 'init-db', options: { env: 'test' } }],
    ['log level', ['-e', 'prod', '-id', '5', '--log-level', 'debug'], { command: 'run', options: { logLevel: 'debug' } }],
    ['resume', ['-e', 'prod', '-id', '5', '-resume'], { command: 'run', options: { resume: true, force: false } }],
  ];

  test.each(cases)('%s', (_name, argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected as object);
  });

  test('-id is the id, never -i -d', () => {
    expect(normalizeArgv(['-e', 'prod', '-id', '5'])).toEqual(['-e', 'prod', '--id', '5']);
  });

  test.each([
    [['-e', 'prod'], /run needs a task id/],
    [['-id', '0'], /positive integer/],
    [['-id', '5', '-cmd', 'explode'], /unknown -cmd "explode"/],
    [['-id', '5', '--bogus'], /Unknown argument/],
    [['-id', '5', '-mode', 'x'], /Invalid values/],
  ] as [string[], RegExp][])('usage error %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
