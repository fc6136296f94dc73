import { parseParams, sourceKeyColumns } from '../../src/params';
import mysqlPlugin from '../../plugins/mysql';

const mysqlKeys = [mysqlPlugin.paramsSchema!];

describe('params', () => {
  test("goshift's documented form, with defaults for the rest", () => {
    const p = parseParams('{"pk":{"src":"id","dest":"id"},"diff_column":{"src":"update_time","dest":"update_time"},"worker_num":20,"read_batch":5000,"write_batch":500}', 5, mysqlKeys);
    expect(p).toMatchObject({ pk: { src: 'id', dest: 'id' }, diff_column: { src: 'update_time' }, worker_num: 20, read_batch: 5000, write_batch: 500, write_mode: '', columns: [] });
    expect(sourceKeyColumns(p)).toEqual(['id']);
  });

  test('empty params take the defaults 4 / 5000 / 500', () => {
    for (const raw of [null, '', '{}']) expect(parseParams(raw, 1, mysqlKeys)).toMatchObject({ worker_num: 4, read_batch: 5000, write_batch: 500 });
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
    ['[1,2]', 'params must be a JSON object'],
    ['{"x":', 'params is not valid JSON'],
  ])('%s is rejected: %s', (raw, message) => {
    expect(() => parseParams(raw, 3, mysqlKeys)).toThrow(message);
  });
});
