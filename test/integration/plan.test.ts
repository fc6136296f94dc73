import { GoshiftTestEnv } from '../support/goshift-env';

/** `goshift plan` prints the settings a run would really use, never placeholders ("" or 0). */
describe('plan: effective settings', () => {
  let env: GoshiftTestEnv;
  beforeAll(async () => {
    env = await new GoshiftTestEnv().setup();
    env.writeConfig({ to: { redis: { t_13: { host: '127.0.0.1', port: 6379 } } } });
    await env.sql('CREATE TABLE s (id int PRIMARY KEY, v varchar(10))');
    await env.sql("INSERT INTO s SELECT seq, 'x' FROM seq_1_to_100");
    await env.sql('CREATE TABLE d LIKE s');
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test.each([
    ['mysql -> mysql on one server', {}, {}, [
      /^ {2}copy +inside the server, one INSERT \.\.\. SELECT per shard/m,
      /^ {2}write_mode +upsert \(default\): INSERT \.\.\. ON DUPLICATE KEY UPDATE$/m,
      /^ {2}shard_rows +5000 \(read_batch\); up to 50000 \(10 batches\) when the key is one integer column$/m,
      /^ {2}native_copy +on: when the key is one integer column, the source server formats each batch as LOAD DATA text/m,
    ]],
    ['streamed, insert mode, own shard_rows', {}, { direct_copy: false, write_mode: 'insert', shard_rows: 30 }, [
      /^ {2}copy +streamed through goshift: read mysql, write mysql$/m,
      /^ {2}write_mode +insert: LOAD DATA LOCAL INFILE, one transaction per batch$/m,
      /^ {2}shard_rows +30$/m,
    ]],
    ['mysql -> redis, key template from params', { to_db_type: 'redis', to_db: '13', to_table: '' }, { key_template: 'u:{id}', value_format: 'hash' }, [
      /^ {2}mapping +row -> entry$/m,
      /^ {2}key_template +u:\{id\}$/m,
      /^ {2}write_mode +replace \(default\)$/m,
    ]],
    ['mysql -> redis, key template in to_table', { to_db_type: 'redis', to_db: '13', to_table: 'user:{id}' }, {}, [
      /^ {2}key_template +user:\{id\}$/m,
      /^ {2}value_format +auto$/m,
    ]],
  ])('%s', async (_what, row, params, expected) => {
    const id = await env.addTask({ from_table: 's', to_table: 'd', ...row, params });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: '' });
    const block = plan.stdout.slice(plan.stdout.indexOf('effective settings:'), plan.stdout.indexOf('\nshards:'));
    for (const re of expected) expect(block).toMatch(re);
    // No placeholder values in the block.
    expect(block).not.toMatch(/ {2}(""|0)$/m);
  });
});
