/**
 * Verify reads a target back by asking the target plugin (its `readBack` capability), never by
 * the store's name: a plugin of any name gets the same treatment, a plugin without one gets none.
 */
import dynamodbPlugin from '../../plugins/dynamodb';
import filePlugin from '../../plugins/file';
import redisPlugin from '../../plugins/redis';
import type { ReadBack, TaskRow } from '../../src/sdk';
import { parseParams } from '../../src/params';
import { mirroredTask, targetReadParams } from '../../src/verify/target-reader';

const task = (to_db_type: string, to_table: string): TaskRow => ({
  id: 1, from_app: 'a', to_app: 'b', from_db_type: 'mysql', to_db_type, from_db: 'x', to_db: 'y', from_table: 't', to_table,
  params: null, online_status: 1, task_desc: null, task_status: null, owner: null, create_time: '', update_time: '',
});

describe('verify read-back asks the plugin', () => {
  test('file: a directory target reads its parts, a single file is rewritable', () => {
    expect(mirroredTask(task('file', ' out/ '), filePlugin.readBack).from_table).toBe('out/part-*');
    expect(mirroredTask(task('file', 'out.ndjson'), filePlugin.readBack).from_table).toBe('out.ndjson');
    expect(filePlugin.readBack?.rewritable?.('out.ndjson')).toBe(true);
    expect(filePlugin.readBack?.rewritable?.('out/')).toBe(false);
  });

  test('redis: a key template reads the keys it matches', () => {
    const mirrored = mirroredTask(task('redis', 'user:{id}'), redisPlugin.readBack);
    expect(mirrored).toMatchObject({ from_db_type: 'redis', from_app: 'b', from_db: 'y', from_table: 'user:*' });
  });

  test('the store name alone changes nothing; a plugin of another name with the capability gets it', () => {
    expect(mirroredTask(task('file', 'out/'), undefined).from_table).toBe('out/');
    expect(mirroredTask(task('redis', 'user:{id}'), undefined).from_table).toBe('user:{id}');
    const custom: ReadBack = { table: (t) => `${t}*` };
    expect(mirroredTask(task('custom', 'logs/'), custom).from_table).toBe('logs/*');
  });

  test("the target reader's own source filters are reset, other keys are kept", () => {
    const params = parseParams('{"filter_expression":"#s = :v","filter_names":{"#s":"status"},"filter_values":{":v":{"S":"on"}},"where":"id > 5"}', 1, [dynamodbPlugin.paramsSchema!]);
    const back = targetReadParams(params, ['id'], dynamodbPlugin.readBack);
    expect(back).toMatchObject({ filter_expression: '', filter_names: {}, filter_values: {}, where: '', pk: { src: 'id', dest: '' } });
    const kept = targetReadParams(params, ['id'], filePlugin.readBack);
    expect(kept.filter_expression).toBe('#s = :v');
  });
});
