import mysql from '../../plugins/mysql';
import redis from '../../plugins/redis';
import { deserializeError, ReadError, serializeError, WriteError } from '../../src/errors';
import { transientFor } from '../../src/runtime/transient';

const isTransient = transientFor([mysql, redis]);

describe('errors', () => {
  test.each([
    [Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }), true],
    [new WriteError('writing failed', { cause: Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' }) }), true],
    [new ReadError('read failed', { cause: new Error('LOADING Redis is loading the dataset in memory') }), true],
    [new WriteError('write failed', { cause: Object.assign(new Error('Reached the max retries per request limit (which is 20).'), { name: 'MaxRetriesPerRequestError' }) }), true],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error("Duplicate entry '1' for key 'PRIMARY'"), { code: 'ER_DUP_ENTRY' }), false],
    [new WriteError("Table 'x.y' doesn't exist"), false],
    ['a string', false],
  ])('isTransient(%s) is %s', (err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });

  test('store codes are transient only through the plugin that declares them', () => {
    const deadlock = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
    expect(transientFor([])(deadlock)).toBe(false);
    expect(transientFor([redis])(deadlock)).toBe(false);
    expect(transientFor([mysql])(new WriteError('w', { cause: deadlock }))).toBe(true);
  });

  test('a worker error crosses threads with its class, message and transient flag', () => {
    const sent = serializeError(new WriteError('boom', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }));
    expect(sent).toMatchObject({ name: 'WriteError', message: 'boom', transient: true });
    const back = deserializeError(JSON.parse(JSON.stringify(sent)));
    expect(back).toBeInstanceOf(WriteError);
    expect(back.exitCode).toBe(7);
  });
});
