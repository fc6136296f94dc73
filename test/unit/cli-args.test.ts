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
    ['--distributed', ['-e', 'prod', '-id', '5', '--distributed'], { command: 'run', options: { env: 'prod', id: 5, distributed: true } }],
    ['local by default', ['-e', 'prod', '-id', '5'], { command: 'run', options: { distributed: false } }],
    ['worker subcommand', ['worker', '-e', 'prod', '--concurrency', '4'], { command: 'worker', options: { env: 'prod', concurrency: 4 } }],
    ['-cmd worker', ['-e', 'prod', '-cmd', 'worker'], { command: 'worker', options: { env: 'prod' } }],
    ['plan subcommand', ['plan', '-e', 'prod', '-id', '5'], { command: 'plan', options: { env: 'prod', id: 5 } }],
    ['verify subcommand', ['verify', '-e', 'prod', '-id', '5'], { command: 'verify', options: { env: 'prod', id: 5, json: false, repair: false, deleteExtra: false, show: 10, ttlTolerance: 1 } }],
    ['-cmd verify', ['-e', 'prod', '-id', '5', '-cmd', 'verify', '--json'], { command: 'verify', options: { id: 5, json: true } }],
    ['dirty subcommand', ['dirty', '-e', 'prod', '-id', '5'], { command: 'dirty', options: { env: 'prod', id: 5, run: undefined, limit: 20, json: false } }],
    ['dirty --run --limit --json', ['dirty', '-id', '5', '--run', '12', '--limit', '3', '--json'], { command: 'dirty', options: { id: 5, run: 12, limit: 3, json: true } }],
    ['-cmd dirty', ['-e', 'prod', '-id', '5', '-cmd', 'dirty'], { command: 'dirty', options: { id: 5, limit: 20 } }],
    ['verify --repair --delete-extra', ['verify', '-id', '5', '--repair', '--delete-extra', '--show', '3'], { command: 'verify', options: { repair: true, deleteExtra: true, show: 3 } }],
    ['-cmd plan', ['-e', 'prod', '-id', '5', '-cmd', 'plan'], { command: 'plan', options: { id: 5 } }],
    ['tasks', ['tasks', '-e', 'prod'], { command: 'tasks', options: { env: 'prod' } }],
    ['-cmd init-db', ['-cmd', 'init-db', '-e', 'test'], { command: 'init-db', options: { env: 'test' } }],
    ['log level', ['-e', 'prod', '-id', '5', '--log-level', 'debug'], { command: 'run', options: { logLevel: 'debug' } }],
    ['resume', ['-e', 'prod', '-id', '5', '-resume'], { command: 'run', options: { resume: true, restart: false, force: false } }],
    ['restart', ['-e', 'prod', '-id', '5', '--restart'], { command: 'run', options: { resume: false, restart: true } }],
    ['no --key: every key', ['-e', 'prod', '-id', '5'], { command: 'run', options: { keys: [] } }],
    ['--key once', ['-e', 'prod', '-id', '8', '--key', 'user:42'], { command: 'run', options: { id: 8, keys: ['user:42'] } }],
    ['--key repeated (duplicates once)', ['-e', 'prod', '-id', '8', '--key', 'user:42', '--key=user:43', '--key', 'user:42'], { command: 'run', options: { keys: ['user:42', 'user:43'] } }],
    ['plan --key', ['plan', '-e', 'prod', '-id', '8', '--key', 'user:42'], { command: 'plan', options: { keys: ['user:42'] } }],
    ['serve', ['serve', '-e', 'prod'], { command: 'serve', options: { env: 'prod', port: undefined, host: undefined, scheduler: true } }],
    ['serve --port --host --no-scheduler', ['serve', '-e', 'prod', '--port', '0', '--host', '127.0.0.1', '--no-scheduler'], { command: 'serve', options: { port: 0, host: '127.0.0.1', scheduler: false } }],
    ['scheduler', ['scheduler', '-e', 'prod'], { command: 'scheduler', options: { env: 'prod' } }],
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
    [['-id', '5', '--key', ''], /--key needs a key name, got an empty string ""/],
    [['verify', '-id', '5', '--delete-extra'], /--delete-extra belongs to --repair/],
    [['verify', '-id', '5', '--show', '-1'], /--show must be a non-negative integer/],
    [['verify', '-e', 'prod'], /verify needs a task id/],
    [['dirty', '-e', 'prod'], /dirty needs a task id/],
    [['worker', '-e', 'prod', '--concurrency', '0'], /--concurrency must be a positive integer, got "0"/],
    [['dirty', '-id', '5', '--limit', '-1'], /--limit must be a non-negative integer, got "-1"/],
    [['dirty', '-id', '5', '--run', '0'], /--run must be a run id/],
    [['run', '-id', '5', '--limit', '3'], /Unknown argument|limit/],
    [['verify', '-id', '5', '--ttl-tolerance', '-2'], /--ttl-tolerance must be a non-negative number of seconds/],
    [['-id', '5', '--key', 'a', '--restart'], /--key .* takes no --restart/],
    [['serve', '--port', '70000'], /--port must be a port number 0-65535, got "70000"/],
    [['serve', '--host', ''], /--host needs an address/],
  ] as [string[], RegExp][])('usage error %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('command line: goshift task <action>', () => {
  const cases: [string, string[], unknown][] = [
    ['add with flags', ['task', 'add', '-e', 'prod', '--from-type', 'mysql', '--from-app', 'dw', '--from-db', '0', '--from-table', '', '--params', '{"worker_num":2}', '--online-status', '0'],
      { command: 'task', options: { env: 'prod', action: 'add', ids: [], fields: { from_db_type: 'mysql', from_app: 'dw', from_db: '0', from_table: '', params: '{"worker_num":2}', online_status: 0 } } }],
    ['add from a file', ['task', 'add', '--file', 't.json', '--desc', 'x'], { command: 'task', options: { action: 'add', file: 't.json', fields: { task_desc: 'x' } } }],
    ['a repeated flag: the last wins', ['task', 'add', '--owner', 'a', '--owner', 'b'], { command: 'task', options: { fields: { owner: 'b' } } }],
    ['show', ['task', 'show', '5', '--json'], { command: 'task', options: { action: 'show', ids: [5], json: true } }],
    ['show with -id', ['task', 'show', '-id', '5'], { command: 'task', options: { action: 'show', ids: [5] } }],
    ['edit', ['task', 'edit', '5', '--to-table', 'dst'], { command: 'task', options: { action: 'edit', ids: [5], fields: { to_table: 'dst' } } }],
    ['enable', ['task', 'enable', '5'], { command: 'task', options: { action: 'enable', ids: [5] } }],
    ['disable', ['task', 'disable', '5'], { command: 'task', options: { action: 'disable', ids: [5] } }],
    ['rm', ['task', 'rm', '5', '--yes'], { command: 'task', options: { action: 'rm', ids: [5], yes: true } }],
    ['export all', ['task', 'export', '--out', 'tasks'], { command: 'task', options: { action: 'export', ids: [], out: 'tasks' } }],
    ['export some', ['task', 'export', '-id', '5', '-id', '6', '7'], { command: 'task', options: { action: 'export', ids: [7, 5, 6] } }],
    ['import', ['task', 'import', 'tasks/'], { command: 'task', options: { action: 'import', path: 'tasks/' } }],
  ];

  test.each(cases)('%s', (_name, argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected as object);
  });

  test.each([
    [['task', 'shw', '5'], /unknown task action "shw" \(did you mean "show"\?\)/],
    [['task', 'show'], /task show takes one task id/],
    [['task', 'show', 'abc'], /task id must be a positive integer, got "abc"/],
    [['task', 'edit', '5'], /task edit needs the columns to change/],
    [['task', 'add'], /task add needs column flags/],
    [['task', 'add', '7', '--owner', 'x'], /task add takes no id/],
    [['task', 'import'], /task import takes one file or directory/],
    [['task', 'rm', '5', '--desc', 'x'], /task rm takes no column flags/],
    [['task', 'show', '5', '--online-status', '2'], /Invalid values/],
    [['-id', '5', '--desc', 'x'], /Unknown argument: desc/],
  ] as [string[], RegExp][])('usage error %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
