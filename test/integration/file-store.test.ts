import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeNdjsonRow } from '../../src/sdk/formats';
import { GoshiftTestEnv } from '../support/goshift-env';
import { fidelityDdl, fidelityRows } from '../support/fixtures/mysql-fidelity';

// The types of the mysql fidelity test (test/integration/mysql-copy.test.ts).
describe('file store through the CLI', () => {
  let env: GoshiftTestEnv;
  let dir: string;

  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    dir = fs.mkdtempSync(path.join(env.configDir, 'files-'));
    env.writeConfig({ from: { file: { t_files: { dir } } }, to: { file: { t_files: { dir } } } });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const checksum = async (table: string) => String((await env.sql<{ Checksum: string }[]>(`CHECKSUM TABLE ${table}`))[0].Checksum);

  test.each(['src.ndjson', 'src.csv', 'src.ndjson.gz', 'src.csv.gz'])('mysql -> %s -> mysql is exact (several shards joined into one file)', async (name) => {
    await env.sql(fidelityDdl('src'));
    await env.sql(fidelityDdl('dst'));
    await env.sql(fidelityRows);
    const small = { worker_num: 2, read_batch: 2, write_batch: 1, shard_rows: 2, direct_copy: false };
    const out = await env.addTask({ from_table: 'src', to_db_type: 'file', to_db: 'files', to_table: `export/${name}`, params: { pk: { src: 'id', dest: 'id' }, ...small } });
    const exported = await env.run(out);
    expect(exported.stderr).not.toMatch(/error/i);
    expect(exported.code).toBe(0);
    // One file, nothing left beside it.
    expect(fs.readdirSync(path.join(dir, 'export'))).toEqual([name]);
    const back = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: `export/${name}`, to_table: 'dst', params: { worker_num: 2, read_batch: 2, write_batch: 2 } });
    const imported = await env.run(back);
    expect(imported.code).toBe(0);
    expect(await env.lastRun(back)).toMatchObject({ status: 'success', rows_read: '5', rows_written: '5' });
    expect(await env.sql('SELECT * FROM dst ORDER BY id')).toEqual(await env.sql('SELECT * FROM src ORDER BY id'));
    expect(await checksum('dst')).toBe(await checksum('src'));
    // A second export replaces the file with the same content.
    const before = fs.readFileSync(path.join(dir, 'export', name));
    expect((await env.run(out)).code).toBe(0);
    const after = fs.readFileSync(path.join(dir, 'export', name));
    const text = (b: Buffer) => (name.endsWith('.gz') ? zlib.gunzipSync(b) : b).toString('utf8');
    expect(text(after)).toBe(text(before));
  });

  test('a glob of several files (ndjson, gzipped ndjson, csv) lands in one mysql table; an empty glob is a success', async () => {
    await env.sql('CREATE TABLE t (id int PRIMARY KEY, name varchar(20) NULL, raw varbinary(4) NULL) DEFAULT CHARSET=utf8mb4');
    fs.mkdirSync(path.join(dir, 'in'));
    fs.writeFileSync(path.join(dir, 'in', 'a.ndjson'), [1, 2, 3].map((i) => encodeNdjsonRow({ id: i, name: `a${i}`, raw: Buffer.from([i, 0xff]) })).join(''));
    fs.writeFileSync(path.join(dir, 'in', 'b.ndjson.gz'), zlib.gzipSync([4, 5].map((i) => encodeNdjsonRow({ id: String(i), name: null, raw: null })).join('')));
    fs.writeFileSync(path.join(dir, 'in', 'c.csv'), 'id,name,raw\r\n6,"x,y",\\x00ff\r\n7,"",\\N\r\n');
    fs.writeFileSync(path.join(dir, 'in', '.hidden.ndjson'), encodeNdjsonRow({ id: 99 }));
    const id = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: 'in/*', to_table: 't', params: { worker_num: 2, read_batch: 2 } });
    const run = await env.run(id);
    expect(run.code).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '7', rows_written: '7' });
    const rows = await env.sql<{ id: number; name: string | null; raw: Buffer | null }[]>('SELECT id, name, raw FROM t ORDER BY id');
    expect(rows.map((r) => [r.id, r.name, r.raw?.toString('hex') ?? null])).toEqual([
      [1, 'a1', '01ff'], [2, 'a2', '02ff'], [3, 'a3', '03ff'], [4, null, null], [5, null, null], [6, 'x,y', '00ff'], [7, '', null],
    ]);
    const none = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: 'in/*.parquet', to_table: 't' });
    expect((await env.run(none)).code).toBe(0);
  });

  test('paths leaving the base directory and a missing base directory fail with one clear line', async () => {
    await env.sql('CREATE TABLE t (id int PRIMARY KEY)');
    for (const [key, value] of [['to_table', '../escape.ndjson'], ['to_table', '/tmp/x.ndjson'], ['from_table', 'a/../../etc/*']] as const) {
      const id = key === 'to_table'
        ? await env.addTask({ from_table: 't', to_db_type: 'file', to_db: 'files', to_table: value })
        : await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: value, to_table: 't' });
      const run = await env.run(id);
      expect(run.code).toBe(4);
      const line = run.stderr.trim().split('\n').find((l) => l.includes(key))!;
      expect(line).toContain(`task ${id}: ${key} ${JSON.stringify(value)}`);
      expect(line).toMatch(/relative path below the base directory of (to|from)\.file\.t_files/);
    }
    env.writeConfig({ from: { file: { t_gone: { dir: path.join(dir, 'missing') } } } });
    const id = await env.addTask({ from_db_type: 'file', from_db: 'gone', from_table: '*.ndjson', to_table: 't' });
    const run = await env.run(id);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`base directory ${path.join(dir, 'missing')} of from.file.t_gone does not exist (task ${id})`);
  });

  test('kill -9 mid-export, then a rerun: every row exactly once in the file set, no temp files left', async () => {
    const n = 200_000;
    await env.sql('CREATE TABLE big (id int PRIMARY KEY, v varchar(100))');
    await env.sql(`INSERT INTO big SELECT seq, CONCAT('value ', seq, ' ', REPEAT('x', 60)) FROM seq_1_to_${n}`);
    const id = await env.addTask({ from_table: 'big', to_db_type: 'file', to_db: 'files', to_table: 'out/', params: { worker_num: 2, read_batch: 500, write_batch: 250, shard_rows: 20000, gzip: true } });
    const first = env.spawnRun(id);
    const outDir = path.join(dir, 'out');
    // Wait until some shard saved a position and another part is being written, then kill.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const names = fs.existsSync(outDir) ? fs.readdirSync(outDir) : [];
      const saved = Number((await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM \`${env.metaDb}\`.goshift_shard_position WHERE task_id = ?`, [id]))[0].n);
      if ((saved > 0 && names.some((x) => x.endsWith('.tmp')) && names.some((x) => x.startsWith('part-'))) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const leftover = fs.readdirSync(outDir);
    expect(leftover.some((x) => x.endsWith('.tmp'))).toBe(true);
    const rerun = await env.run(id);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('resuming the interrupted copy');
    const names = fs.readdirSync(outDir).sort();
    expect(names.every((x) => /^part-r\d+\.ndjson\.gz$/.test(x))).toBe(true);
    const seen = new Uint8Array(n + 1);
    let total = 0;
    for (const name of names) {
      for (const line of zlib.gunzipSync(fs.readFileSync(path.join(outDir, name))).toString('utf8').split('\n')) {
        if (!line) continue;
        const row = JSON.parse(line) as { id: string; v: string };
        seen[Number(row.id)]++;
        total++;
        expect(row.v.startsWith(`value ${row.id} `)).toBe(true);
      }
    }
    expect(total).toBe(n);
    expect(seen.slice(1).every((c) => c === 1)).toBe(true);
  });
});
