import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConnection } from '../../src/config/connections';
import { substituteEnv } from '../../src/config/env-substitute';
import { jsonSyntaxError } from '../../src/config/json-error';
import { loadConfig } from '../../src/config/load';
import { maskSecrets } from '../../src/config/mask';
import { ConfigError } from '../../src/errors';
import mysqlPlugin from '../../plugins/mysql';
import redisPlugin from '../../plugins/redis';

function writeConfig(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-unit-'));
  fs.writeFileSync(path.join(dir, 'x.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

describe('config', () => {
  test('${VAR}, ${VAR:-default} and the bare env-name form', () => {
    const env = { PW: 's3cret', EMPTY: '', GOSHIFT_DB_PASS: 'bare' };
    const input = { a: '${PW}', b: '${MISSING:-fallback}', c: 'x-${PW}-y', d: 'GOSHIFT_DB_PASS', e: '${EMPTY:-dflt}', f: 3 };
    expect(substituteEnv(input, env, true, 'f.json')).toEqual({ a: 's3cret', b: 'fallback', c: 'x-s3cret-y', d: 'bare', e: 'dflt', f: 3 });
    expect(substituteEnv(input, env, false, 'f.json')).toMatchObject({ d: 'GOSHIFT_DB_PASS' });
  });

  test('a relative log.dir is relative to the config file; bare-name substitutions are listed without values', () => {
    const dir = writeConfig({ log: { dir: 'mylogs' }, task_meta: { password: 'GOSHIFT_UNIT_PW', user: 'root' } });
    const conf = loadConfig({ env: 'x', dir, usedEnv: true }, { GOSHIFT_UNIT_PW: 'hunter2' });
    expect(conf.log.dir).toBe(path.join(dir, 'mylogs'));
    expect(conf.task_meta.password).toBe('hunter2');
    expect(conf.bareEnvKeys).toEqual(['task_meta.password <- $GOSHIFT_UNIT_PW']);
    expect(JSON.stringify(conf.bareEnvKeys)).not.toContain('hunter2');
    expect(loadConfig({ env: 'x', dir, usedEnv: false }, { GOSHIFT_UNIT_PW: 'hunter2' }).bareEnvKeys).toEqual([]);
    const absolute = writeConfig({ log: { dir: '/tmp/goshift-abs-logs' } });
    expect(loadConfig({ env: 'x', dir: absolute, usedEnv: true }, {}).log.dir).toBe('/tmp/goshift-abs-logs');
  });

  test('an unset ${VAR} names the variable, the key and the file', () => {
    expect(() => substituteEnv({ task_meta: { password: '${NOPE_X}' } }, {}, true, 'etc/prod.json')).toThrow(
      'etc/prod.json: task_meta.password uses ${NOPE_X} but NOPE_X is not set',
    );
  });

  test('secrets are masked everywhere, also inside URLs', () => {
    expect(maskSecrets({ host: 'h', password: 'pw', nested: { secretAccessKey: 'k', url: 'redis://u:pw@h:1' }, empty: { password: '' } })).toEqual({
      host: 'h', password: '***', nested: { secretAccessKey: '***', url: 'redis://u:***@h:1' }, empty: { password: '' },
    });
  });

  test.each([
    [{ log: { levle: 'debug' } }, 'log.levle: unknown key (did you mean "level"?); expected one of level, dir'],
    [{ task_meta: { hots: 'db' } }, 'task_meta.hots: unknown key (did you mean "host"?); expected one of host, port, user, password, db, socketPath'],
    [{ serve: { prot: 7701 } }, 'serve.prot: unknown key (did you mean "port"?); expected one of host, port, token, scheduler_reload_seconds'],
    [{ tasks_meta: {} }, 'tasks_meta: unknown key (did you mean "task_meta"?); expected one of task_meta, log, serve, plugins, from, to, queue'],
    [{ log: 'debug' }, 'log must be an object with the keys level, dir, got "debug"'],
    [{ task_meta: { port: { n: 3306 } } }, 'task_meta.port must be a single value (Metadata MySQL port), got an object'],
    [{ from: 'mysql://x' }, 'from must be an object (Source connections: from.<type>.<app>_<db>), got "mysql://x"'],
    [['x'], 'the config must be an object with the keys task_meta, log, serve, plugins, from, to, queue, got ["x"]'],
  ])('%j: one line naming the file, the path and what is expected', (content, message) => {
    const dir = writeConfig(content);
    const err = (() => { try { loadConfig({ env: 'x', dir, usedEnv: true }, {}); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toBe(`config ${path.join(dir, 'x.json')}: ${message}`);
  });

  test('a connection entry with an unknown key or a nested object gets one line with the path', () => {
    const config = loadConfig({ env: 'x', dir: writeConfig({ from: { mysql: { app_db: { host: '127.0.0.1', pasword: 'x' }, app_two: { port: { n: 1 } } } } }), usedEnv: true }, {});
    expect(() => resolveConnection(config, 'from', mysqlPlugin, 'app', 'db')).toThrow(/^config \S+x\.json: from\.mysql\.app_db\.pasword: unknown key \(did you mean "password"\?\); expected one of .*password/);
    expect(() => resolveConnection(config, 'from', mysqlPlugin, 'app', 'two')).toThrow(/^config \S+x\.json: from\.mysql\.app_two\.port must be a single value \(.*\), got an object$/);
  });

  test('loads, applies defaults, and rejects bad values naming the file', () => {
    const dir = writeConfig({ task_meta: { db: 'meta', password: '${PW:-}' }, from: {}, to: {} });
    const conf = loadConfig({ env: 'x', dir, usedEnv: true }, {});
    expect(conf.task_meta).toMatchObject({ host: '127.0.0.1', port: 3306, db: 'meta', password: '' });
    expect(conf.log.level).toBe('info');
    const bad = writeConfig({ task_meta: { port: 'eighty' } });
    expect(() => loadConfig({ env: 'x', dir: bad, usedEnv: true }, {})).toThrow(/config .*x\.json is invalid: .*task_meta\.port/);
    const unknown = writeConfig({ task_mta: {} });
    expect(() => loadConfig({ env: 'x', dir: unknown, usedEnv: true }, {})).toThrow(/task_mta/);
    const notJson = writeConfig('{ nope');
    expect(() => loadConfig({ env: 'x', dir: notJson, usedEnv: true }, {})).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ env: 'missing', dir: notJson, usedEnv: true }, {})).toThrow(ConfigError);
  });

  test('connection entries are <side>.<type>.<app>_<db>, validated by the plugin schema', () => {
    const dir = writeConfig({ from: { mysql: { dw_blog: { host: 'db1', password: 'x' }, dw_bad: { port: 'no' } } } });
    const conf = loadConfig({ env: 'x', dir, usedEnv: true }, {});
    expect(resolveConnection(conf, 'from', mysqlPlugin, 'dw', 'blog')).toMatchObject({ host: 'db1', port: 3306, user: 'root' });
    expect(() => resolveConnection(conf, 'from', mysqlPlugin, 'dw', 'nope')).toThrow(/has no entry from\.mysql\.dw_nope \(entries under from\.mysql: dw_blog, dw_bad\)/);
    expect(() => resolveConnection(conf, 'to', mysqlPlugin, 'dw', 'blog')).toThrow(/has no entry to\.mysql\.dw_blog \(no to\.mysql entries at all\)/);
    expect(() => resolveConnection(conf, 'from', mysqlPlugin, 'dw', 'bad')).toThrow(/entry from\.mysql\.dw_bad is invalid: .*port/);
  });

  test('the shipped configs are valid', () => {
    for (const env of ['local', 'test']) expect(loadConfig({ env, dir: path.resolve(__dirname, '../../etc'), usedEnv: true }, {}).source).toContain(`${env}.json`);
  });
});

describe('config files that are not JSON', () => {
  const secret = 'Rel7Pa55-X';
  test.each([
    [`{\n  "task_meta": {\n    "password": ${secret}\n  }\n}`, 3, 17, 'unexpected character'],
    [`{"password": "${secret}",}`, 1, 27, 'expected a property name in double quotes'],
    [`{"password": "${secret}"`, 1, 26, 'unexpected end of file'],
    [`{"password": "${secret}`, 1, 14, 'unterminated string'],
    [`{"password": "${secret}\n"}`, 1, 25, 'control character'],
    [`{"password": "${secret}\\q"}`, 1, 25, 'invalid escape sequence'],
    [`{"password" "${secret}"}`, 1, 13, "expected ':'"],
    [`{"port": 01}`, 1, 11, "expected ',' or '}'"],
    [`{"port": -}`, 1, 10, 'invalid number'],
    [`{"a": 1}}`, 1, 9, 'unexpected text after the end'],
    [`\r\n[1,\r\n ${secret}]`, 3, 2, 'unexpected character'],
  ])('%j: line %i column %i, %s, and no text of the file', (text, line, column, reason) => {
    const dir = writeConfig(text);
    let message = '';
    try {
      loadConfig({ env: 'x', dir, usedEnv: true }, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).cause).toBeUndefined();
      message = (err as Error).message;
    }
    expect(message).toContain(`x.json is not valid JSON at line ${line} column ${column}: ${reason}`);
    expect(message).not.toContain('Pa55');
    expect(message).not.toContain('password');
  });

  test('valid JSON has no syntax error; a leading byte order mark is accepted', () => {
    expect(jsonSyntaxError('{"a": [1, -2.5e3, "x\\u00e9\\n", true, false, null, {}], "b": {}}')).toBeUndefined();
    const dir = writeConfig(`\ufeff${JSON.stringify({ task_meta: { db: 'm' } })}`);
    expect(loadConfig({ env: 'x', dir, usedEnv: true }, {}).task_meta.db).toBe('m');
  });
});

describe('numbers in config files are read strictly', () => {
  test.each(['3308x', '12.5', '', 'eighty', 70000, 0, -1, 3306.5])('task_meta.port %j is a config error naming the file, the key and what was expected', (port) => {
    const dir = writeConfig({ task_meta: { port } });
    expect(() => loadConfig({ env: 'x', dir, usedEnv: true }, {})).toThrow(/config .*x\.json is invalid: task_meta\.port: must be a port number 1-65535/);
  });

  test('digits only (what ${VAR:-3307} gives) are a number', () => {
    const dir = writeConfig({ task_meta: { port: '${META_PORT:-3307}' } });
    expect(loadConfig({ env: 'x', dir, usedEnv: true }, {}).task_meta.port).toBe(3307);
    expect(loadConfig({ env: 'x', dir, usedEnv: true }, { META_PORT: '3310' }).task_meta.port).toBe(3310);
  });

  test.each([
    [mysqlPlugin, { port: '3308x' }, /entry from\.mysql\.dw_blog is invalid: port: must be a port number 1-65535: value was "3308x"/],
    [mysqlPlugin, { connectTimeout: '10s' }, /entry from\.mysql\.dw_blog is invalid: connectTimeout: must be a whole number >= 0: value was "10s"/],
    [redisPlugin, { port: '6379x' }, /entry from\.redis\.dw_blog is invalid: port: must be a port number 1-65535: value was "6379x"/],
    [redisPlugin, { connect_timeout_ms: '5000ms' }, /entry from\.redis\.dw_blog is invalid: connect_timeout_ms: must be a whole number >= 0/],
    [redisPlugin, { command_timeout_ms: 1.5 }, /entry from\.redis\.dw_blog is invalid: command_timeout_ms: must be a whole number >= 0/],
  ])('%# a plugin connection entry with a bad number is rejected', (plugin, entry, message) => {
    const dir = writeConfig({ from: { [plugin.type]: { dw_blog: entry } } });
    const conf = loadConfig({ env: 'x', dir, usedEnv: true }, {});
    expect(() => resolveConnection(conf, 'from', plugin, 'dw', 'blog')).toThrow(message);
  });

  test('plugin entries accept digits-only strings', () => {
    const dir = writeConfig({ from: { mysql: { dw_blog: { port: '3307', connectTimeout: '500' } }, redis: { dw_blog: { port: '6380' } } } });
    const conf = loadConfig({ env: 'x', dir, usedEnv: true }, {});
    expect(resolveConnection(conf, 'from', mysqlPlugin, 'dw', 'blog')).toMatchObject({ port: 3307, connectTimeout: 500 });
    expect(resolveConnection(conf, 'from', redisPlugin, 'dw', 'blog')).toMatchObject({ port: 6380 });
  });
});
