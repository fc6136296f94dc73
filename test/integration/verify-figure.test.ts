import { GoshiftTestEnv } from '../support/goshift-env';

/** Timing figure only (GOSHIFT_VERIFY_ROWS=200000 npx jest test/integration/verify-figure.test.ts). */
const rows = Number(process.env.GOSHIFT_VERIFY_ROWS ?? 0);
(rows ? test : test.skip)('verify of a copied table vs the copy itself', async () => {
  const env = await new GoshiftTestEnv().setup();
  try {
    await env.sql('CREATE TABLE src (id bigint PRIMARY KEY, name varchar(64), v int, amount decimal(12,2), created datetime, note varchar(200)) DEFAULT CHARSET=utf8mb4');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('name-', seq), seq % 1000, seq / 7, '2024-01-01' + INTERVAL seq SECOND, REPEAT('x', seq % 100) FROM seq_1_to_${rows}`);
    for (const [name, extra] of [['direct', {}], ['streamed', { direct_copy: false }]] as const) {
      await env.sql(`CREATE TABLE dst_${name} LIKE src`);
      const id = await env.addTask({ from_table: 'src', to_table: `dst_${name}`, params: { pk: { src: 'id', dest: 'id' }, worker_num: 4, ...extra } });
      let t = Date.now();
      const run = await env.run(id);
      const copy = (Date.now() - t) / 1000;
      expect(run.code).toBe(0);
      t = Date.now();
      const res = await env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
      const verify = (Date.now() - t) / 1000;
      expect(res.code).toBe(0);
      await env.sql(`UPDATE dst_${name} SET v = -1 WHERE id IN (17, ${Math.floor(rows / 2)})`);
      await env.sql(`DELETE FROM dst_${name} WHERE id = ${rows - 3}`);
      t = Date.now();
      const diff = await env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id), '--repair']);
      const repair = (Date.now() - t) / 1000;
      expect(diff.code).toBe(0);
      process.stdout.write(`FIGURE ${rows} rows ${name}: copy ${copy.toFixed(2)} s (CLI wall), verify ${verify.toFixed(2)} s, verify --repair with 3 differences ${repair.toFixed(2)} s\n${res.stdout}${diff.stdout}`);
    }
  } finally {
    await env.cleanup();
  }
}, 600_000);
