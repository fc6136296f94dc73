/** `goshift serve` pieces that need no service: cron params, the token check, the page escaping. */
import type { IncomingMessage } from 'node:http';
import { TaskError } from '../../src/errors';
import { parseParams } from '../../src/params';
import { requireToken } from '../../src/serve/auth';
import { nextRunOf } from '../../src/serve/cron';
import { HttpError } from '../../src/serve/http';
import { esc } from '../../src/serve/pages';

describe('params.schedule', () => {
  test.each(['0 3 * * *', '*/5 * * * *', '* * * * * *', '30 */10 * * * *'])('accepts the cron expression %j', (expr) => {
    expect(parseParams(JSON.stringify({ schedule: expr }), 5).schedule).toBe(expr);
  });

  test('is empty by default, and scheduled runs copy fully (init) unless schedule_mode says incr', () => {
    expect(parseParams('{}', 5)).toMatchObject({ schedule: '', schedule_mode: 'init' });
    expect(parseParams('{"schedule":"0 3 * * *","schedule_mode":"incr"}', 5).schedule_mode).toBe('incr');
  });

  test.each([
    ['bad', /^task 5: params\.schedule must be a cron expression .*, got "bad": invalid configuration format/],
    ['61 * * * *', /^task 5: params\.schedule must be a cron expression .*, got "61 \* \* \* \*": Invalid value for minute: 61$/],
    [42, /^task 5: params\.schedule must be a cron expression .*, got 42$/],
  ] as [unknown, RegExp][])('refuses %j in one line naming the task and the expression', (expr, message) => {
    expect(() => parseParams(JSON.stringify({ schedule: expr }), 5)).toThrow(TaskError);
    expect(() => parseParams(JSON.stringify({ schedule: expr }), 5)).toThrow(message);
  });

  test('schedule_mode is init or incr', () => {
    expect(() => parseParams('{"schedule_mode":"stream"}', 5)).toThrow(/params\.schedule_mode must be one of "init", "incr", got "stream"/);
  });

  test('nextRunOf: a seconds-level expression fires within the next second, a daily one tomorrow', () => {
    const from = new Date(2026, 0, 1, 12, 0, 0, 500);
    expect(nextRunOf('* * * * * *', from)!.getTime()).toBe(new Date(2026, 0, 1, 12, 0, 1).getTime());
    expect(nextRunOf('0 3 * * *', from)!.getTime()).toBe(new Date(2026, 0, 2, 3, 0, 0).getTime());
  });
});

describe('bearer token of state-changing requests', () => {
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
  const status = (fn: () => void): number | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return err instanceof HttpError ? err.status : -1;
    }
  };

  test('the configured token passes', () => {
    expect(status(() => requireToken(req('Bearer s3cret'), 's3cret', 'etc/x.json'))).toBeUndefined();
    expect(status(() => requireToken(req('bearer   s3cret'), 's3cret', 'etc/x.json'))).toBeUndefined();
  });

  test('a missing header, another scheme or another token is 401', () => {
    expect(status(() => requireToken(req(), 's3cret', 'etc/x.json'))).toBe(401);
    expect(status(() => requireToken(req('Basic czNjcmV0'), 's3cret', 'etc/x.json'))).toBe(401);
    expect(status(() => requireToken(req('Bearer s3cret2'), 's3cret', 'etc/x.json'))).toBe(401);
  });

  test('without a configured token every change is refused, saying how to set one', () => {
    expect(status(() => requireToken(req('Bearer anything'), '', 'etc/x.json'))).toBe(403);
    expect(() => requireToken(req('Bearer anything'), '', 'etc/x.json')).toThrow(/no serve\.token is configured; set "serve": \{"token": "\$\{GOSHIFT_SERVE_TOKEN:-\}"\} in etc\/x\.json/);
  });
});

test('page text is escaped', () => {
  expect(esc(`<b a="1">&'`)).toBe('&#60;b a=&#34;1&#34;&#62;&#38;&#39;');
});
