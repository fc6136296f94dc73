import { parseParams } from '../../src/params';
import { sourceKeyColumns, writeBatchOf } from '../../src/sdk';
import mysqlPlugin from '../../plugins/mysql';

const mysqlKeys = [mysqlPlugin.paramsSchema!];

describe('params', () => {
  test("goshift's documented form, with defaults for the rest", () => {
    const p = parseParams('{"pk":{"src":"id","dest":"id"},"diff_column":{"src":"update_time","dest":"update_time"},"worker_num":20,"read_batch":5000,"write_batch":500}', 5, mysqlKeys);
    expect(p).toMatchObject({ pk: { src: 'id', dest: 'id' }, diff_column: { src: 'update_time' }, worker_num: 20, read_batch: 5000, write_batch: 500, write_mode: '', columns: [] });
    expect(sourceKeyColumns(p)).toEqual(['id']);
  });

  test("empty params take the defaults 4 / 5000 / the writer's write_batch", () => {
    for (const raw of [null, '', '{}']) expect(parseParams(raw, 1, mysqlKeys)).toMatchObject({ worker_num: 4, read_batch: 5000, write_batch: 0 });
    expect(writeBatchOf(parseParams('{}', 1, mysqlKeys), { defaultWriteBatch: 5000 })).toBe(5000);
    expect(writeBatchOf(parseParams('{}', 1, mysqlKeys), {})).toBe(500);
    expect(writeBatchOf(parseParams('{"write_batch": 70}', 1, mysqlKeys), { defaultWriteBatch: 5000 })).toBe(70);
    expect(() => parseParams('{"write_batch": -1}', 1, mysqlKeys)).toThrow('params.write_batch must be a positive integer, got -1');
    for (const [key, v, how] of [['write_batch', 0, "leave the key out for the writer's own default"], ['write_batch', -5, "leave the key out for the writer's own default"], ['shard_rows', 0, 'leave the key out for read_batch']] as const) expect(() => parseParams(JSON.stringify({ [key]: v }), 1, mysqlKeys)).toThrow(`task 1: params.${key} must be a positive integer, got ${v} (${how})`);
    expect(() => parseParams('{"max_statement_bytes": 0}', 1, mysqlKeys)).toThrow('params.max_statement_bytes must be a positive integer, got 0');
    for (const k of ['read_batch', 'worker_num']) expect(() => parseParams(JSON.stringify({ [k]: 0 }), 1, mysqlKeys)).toThrow(`params.${k} must be a positive integer, got 0`);
  });

  test("goshift's older split form gives the key columns", () => {
    expect(sourceKeyColumns(parseParams('{"split":{"pk":["a","b"]}}', 1, mysqlKeys))).toEqual(['a', 'b']);
    expect(sourceKeyColumns(parseParams('{"pk":{"src":"a, b"}}', 1, mysqlKeys))).toEqual(['a', 'b']);
  });

  test.each([
    ['{"worker_num":"abc"}', 'task 3: params.worker_num must be a positive integer, got "abc"'],
    ['{"read_batch":0}', 'params.read_batch must be a positive integer, got 0'],
    ['{"write_batch":2.5}', 'params.write_batch must be a positive integer, got 2.5'],
    ['{"columns":"id"}', 'params.columns must be a list of strings, got "id"'],
    ['{"column_map":{"a":1}}', 'params.column_map must be an object of strings'],
    ['{"wroker_num":4}', 'params.wroker_num is not a known key'],
    ['{"pk":{"src":"id","dst":"id"}}', 'params.pk.dst is not a known key'],
    ['{"worker_num":100000}', 'task 3: params.worker_num must be at most 256, got 100000'],
    ['{"worker_num":257}', 'task 3: params.worker_num must be at most 256, got 257'],
    ['{"pk":"id"}', 'task 3: params.pk must be an object {"src": ..., "dest": ...}, got "id"'],
    ['{"pk":["id"]}', 'task 3: params.pk must be an object {"src": ..., "dest": ...}, got ["id"]'],
    ['{"diff_column":"update_time"}', 'task 3: params.diff_column must be an object {"src": ..., "dest": ...}, got "update_time"'],
    ['{"split":null}', 'task 3: params.split must be an object {"pk": ...}, got null'],
    ['{"pk":{"src":5}}', 'task 3: params.pk.src must be a string, got 5'],
    ['{"where":["a"]}', 'task 3: params.where must be a string, got ["a"]'],
    ['{"direct_copy":"yes"}', 'task 3: params.direct_copy must be true or false, got "yes"'],
    ['{"retries":"3x"}', 'task 3: params.retries must be a whole number >= 0, got "3x"'],
    ['{"shard_rows":-1}', 'task 3: params.shard_rows must be a positive integer, got -1 (leave the key out for read_batch)'],
    ['{"column_map":[["a","b"]]}', 'task 3: params.column_map must be an object of strings'],
    ['{"column_map":{"a.b":7}}', 'task 3: params.column_map must be an object of strings'],
    ['{"pk":{"src":"id","dst":"id"}}', 'task 3: params.pk.dst is not a known key (did you mean \"dest\"?) (pk has src, dest)'],
    ['[1,2]', 'params must be a JSON object'],
    ['{"x":', 'params is not valid JSON'],
  ])('%s is rejected: %s', (raw, message) => {
    expect(() => parseParams(raw, 3, mysqlKeys)).toThrow(message);
    let text = '';
    try {
      parseParams(raw, 3, mysqlKeys);
    } catch (err) {
      text = (err as Error).message;
    }
    // Messages speak params, not convict.
    expect(text).not.toMatch(/configuration param|value was|did you override|must be of type/);
  });

  test('worker_num 256 is the largest accepted', () => {
    expect(parseParams('{"worker_num":256}', 1, mysqlKeys).worker_num).toBe(256);
  });

  test('keys of free-form maps may contain dots (a column named a.b is legal in MySQL)', () => {
    const p = parseParams('{"column_map":{"a.b":"x.y","c":"d","e.f.g":"h"},"pk":{"src":"a.b"}}', 1, mysqlKeys);
    expect(p.column_map).toEqual({ 'a.b': 'x.y', c: 'd', 'e.f.g': 'h' });
    expect(sourceKeyColumns(p)).toEqual(['a.b']);
  });

  test('a plugin map param with dotted keys is kept as written', () => {
    const pluginKeys = { field_map: { doc: 'a map', format: Object, default: {} as Record<string, unknown> } };
    const p = parseParams('{"field_map":{"user.name":"name","n":{"deep.er":1}}}', 1, [pluginKeys]);
    expect(p.field_map).toEqual({ 'user.name': 'name', n: { 'deep.er': 1 } });
    expect(() => parseParams('{"field_map":"x"}', 1, [pluginKeys])).toThrow('task 1: params.field_map must be an object, got "x"');
  });
});
