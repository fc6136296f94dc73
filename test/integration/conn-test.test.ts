import fs from 'node:fs';
import path from 'node:path';
import { GoshiftTestEnv } from '../support/goshift-env';

/** `goshift conn test` through the real CLI against the local MariaDB and Redis. */
describe('goshift conn test', () => {
  let env: GoshiftTestEnv;
  let dir: string;

  beforeAll(async () => {
    env = await new GoshiftTestEnv().setup();
    dir = fs.mkdtempSync(path.join(env.configDir, 'files-'));
    env.writeConfig({
      from: {
        mysql: { t_badpw: env.mysqlEntry({ user: 'goshift_no_such_user', password: 's3cret-pw' }), t_nodb: env.mysqlEntry({ db: 'gs_no_such_db' }) },
        redis: { t_0: { host: '127.0.0.1', port: 6379 }, t_down: { host: '127.0.0.1', port: 1 } },
        file: { t_files: { dir }, t_gone: { dir: path.join(dir, 'missing') } },
        dynamodb: { t_ddb: { endpoint: 'http://127.0.0.1:8000', region: 'us-east-1', accessKeyId: 'goshift', secretAccessKey: 'goshift-secret-key' }, t_ddbdown: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accessKeyId: 'goshift', secretAccessKey: 'goshift-secret-key' } },
        s3: { t_s3down: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true, bucket: 'nope', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
      },
      to: { file: { t_files: { dir } } },
    });
  });
  afterAll(async () => {
    await env.cleanup();
  });

  const connTest = (...entries: string[]) => env.cli(['conn', 'test', '-c', env.configDir, '-e', 'test', ...entries]);

  test.each([
    ['a mysql entry that answers', `from.mysql.t_${'DATA'}`, 0, /^ok {6}from\.mysql\.t_gsd_\w+ {2}(MariaDB|MySQL) \d+\.\d+\.\d+\S* at 127\.0\.0\.1:3306, database gsd_\w+ \(\d+ ms\)$/],
    ['a redis entry that answers', 'from.redis.t_0', 0, /^ok {6}from\.redis\.t_0 {2}Redis \d+\.\d+\.\d+ at 127\.0\.0\.1:6379, db 0 \(\d+ ms\)$/],
    ['a file entry (source: readable)', 'from.file.t_files', 0, /^ok {6}from\.file\.t_files {2}directory .*files-\w+ \(readable\)/],
    ['a file entry (target: writable)', 'to.file.t_files', 0, /^ok {6}to\.file\.t_files {2}directory .*files-\w+ \(readable and writable\)/],
    ['wrong user or password', 'from.mysql.t_badpw', 6, /^FAILED {2}from\.mysql\.t_badpw {2}cannot connect to mysql at 127\.0\.0\.1:3306 \(from\.mysql\.t_badpw\): .*(denied|password)/i],
    ['a missing database', 'from.mysql.t_nodb', 6, /^FAILED {2}from\.mysql\.t_nodb {2}cannot connect to mysql at 127\.0\.0\.1:3306 \(from\.mysql\.t_nodb\): Unknown database 'gs_no_such_db'$/],
    ['nothing listening', 'from.redis.t_down', 6, /^FAILED {2}from\.redis\.t_down {2}.*127\.0\.0\.1:1\b.*(refused|reach)/],
    ['a missing base directory', 'from.file.t_gone', 6, /^FAILED {2}from\.file\.t_gone {2}.*missing.* does not exist/],
    ['a dynamodb entry that answers', 'from.dynamodb.t_ddb', 0, /^ok {6}from\.dynamodb\.t_ddb {2}DynamoDB at 127\.0\.0\.1:8000 answers \(\d+\+? tables? listed\) \(\d+ ms\)$/],
    ['dynamodb: nothing listening', 'from.dynamodb.t_ddbdown', 6, /^FAILED {2}from\.dynamodb\.t_ddbdown {2}cannot reach DynamoDB at 127\.0\.0\.1:1 \(from\.dynamodb\.t_ddbdown\): connection refused/],
    ['s3: nothing listening', 'from.s3.t_s3down', 6, /^FAILED {2}from\.s3\.t_s3down {2}cannot reach S3 at 127\.0\.0\.1:1 \(from\.s3\.t_s3down\)/],
  ])('%s: %s', async (_what, entry, code, line) => {
    const name = entry.replace('DATA', env.dataDb);
    const res = await connTest(name);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code, stderr: '' });
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    // Never a secret.
    expect(res.stdout).not.toContain('s3cret-pw');
    expect(res.stdout).not.toContain('goshift-secret-key');
  });

  test('a password for a server that needs none: a warning naming the entry, never the driver\'s raw [WARN] line', async () => {
    env.writeConfig({ from: { redis: { t_pw: { host: '127.0.0.1', port: 6379, password: 'unneeded-pw' } } } });
    try {
      const res = await connTest('from.redis.t_pw');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^ok {6}from\.redis\.t_pw {2}Redis /);
      expect(res.stderr).toMatch(/warn +from\.redis\.t_pw: the server 127\.0\.0\.1:6379 needs no password, but the entry sets one: it is ignored/);
      expect(res.stderr).not.toContain('[WARN]');
      expect(res.stderr + res.stdout).not.toContain('unneeded-pw');
    } finally {
      env.writeConfig({ from: { redis: { t_pw: { host: '127.0.0.1', port: 1 } } } });
    }
  });

  test('without entries every entry of the config is tested, one line each; the exit says one failed', async () => {
    const res = await connTest();
    const lines = res.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual([
      'from.dynamodb.t_ddb', 'from.dynamodb.t_ddbdown', 'from.file.t_files', 'from.file.t_gone', 'from.mysql.t_badpw', `from.mysql.t_${env.dataDb}`, 'from.mysql.t_nodb',
      'from.redis.t_0', 'from.redis.t_down', 'from.redis.t_pw', 'from.s3.t_s3down', 'to.file.t_files', `to.mysql.t_${env.dataDb}`,
    ]);
    expect(lines.filter((l) => l.startsWith('ok')).length).toBe(6);
    expect(res.code).toBe(6);
  });

  test.each([
    [['conn', 'test', 'from.mysql.t_nope'], 3, /^goshift: config .*test\.json has no entry from\.mysql\.t_nope/],
    [['conn', 'test', 'mysql.t_x'], 2, /^goshift: conn test takes entries as from\.<type>\.<name> or to\.<type>\.<name>, got "mysql\.t_x"$/],
    [['conn', 'tset'], 2, /^goshift: unknown conn action "tset" \(did you mean "test"\?\)/],
  ])('bad input %j: one line, exit %i', async (args, code, line) => {
    const res = await env.cli([...args, '-c', env.configDir, '-e', 'test']);
    expect(res.code).toBe(code);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr.trim()).toMatch(line);
  });
});
