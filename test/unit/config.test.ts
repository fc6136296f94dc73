import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConnection } from '../../src/config/connections';
import { substituteEnv } from '../../src/config/env-substitute';
import { loadConfig } from '../../src/config/load';
import { maskSecrets } from '../../src/config/mask';
import { ConfigError } from '../../src/errors';
import mysqlPlugin from '../../plugins/mysql';

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
