import fs from 'node:fs';
import { createTable, DDB_DB, ddbClient, dynamodbEntry, deleteTable, tableName } from '../support/fixtures/dynamodb';
import { makeBaseDir } from '../support/fixtures/file';
import { GoshiftTestEnv } from '../support/goshift-env';

/**
 * Timing figure only: verify across stores vs the copy itself
 * (GOSHIFT_VERIFY_ACROSS_ROWS=100000 npx jest test/integration/verify-across-figure.test.ts).
 */
const rows = Number(process.env.GOSHIFT_VERIFY_ACROSS_ROWS ?? 0);
(rows ? test : test.skip)('verify of mysql -> file and mysql -> dynamodb copies vs the copies', async () => {
  const env = await new GoshiftTestEnv().setup();
  const dir = makeBaseDir();
  const ddb = ddbClient();
  const table = tableName('vfig');
  try {
    await env.sql('CREATE TABLE src (id bigint PRIMARY KEY, name varchar(64), v int, amount decimal(12,2), created datetime, note varchar(200)) DEFAULT CHARSET=utf8mb4');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('name-', seq), seq % 1000, seq / 7, '2024-01-01' + INTERVAL seq SECOND, REPEAT('x', seq % 100) FROM seq_1_to_${rows}`);
    await createTable(ddb, table, [['id', 'N']]);
    env.writeConfig({ to: { file: { [`${env.app}_files`]: { dir } }, dynamodb: { [`${env.app}_${DDB_DB}`]: dynamodbEntry } } });
    const targets = [
      ['file', { to_db_type: 'file', to_db: 'files', to_table: 'out/src.ndjson' }],
      ['dynamodb', { to_db_type: 'dynamodb', to_db: DDB_DB, to_table: table }],
    ] as const;
    for (const [name, target] of targets) {
      const id = await env.addTask({ from_table: 'src', ...target, params: { pk: { src: 'id' }, worker_num: 4 } });
      let t = Date.now();
      const run = await env.run(id);
      const copy = (Date.now() - t) / 1000;
      expect(run.code).toBe(0);
      t = Date.now();
      const res = await env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
      const verify = (Date.now() - t) / 1000;
      expect(res.code).toBe(0);
      process.stdout.write(`FIGURE ${rows} rows mysql -> ${name}: copy ${copy.toFixed(2)} s (CLI wall), verify ${verify.toFixed(2)} s (CLI wall)\n${res.stdout}`);
    }
  } finally {
    await deleteTable(ddb, table);
    ddb.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  }
}, 1_200_000);
