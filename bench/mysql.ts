/**
 * MySQL -> MySQL benchmark: copies one table of `rows` rows (~140 bytes each) with goshift and, in
 * the same run, with `mariadb-dump | mariadb`, `mydumper | myloader` (2 threads) and server-side
 * `INSERT ... SELECT` (the ceiling). Every copy is checked against the source with CHECKSUM TABLE.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/paths';
import { Measured, printTable, timeCommand } from './measure';

const SRC = 'goshift_bench_src';
const DST = 'goshift_bench_dst';
const META = 'goshift_bench_meta';
const client = 'mariadb -h127.0.0.1 -uroot';
/**
 * goshift variants measured: the default (upsert; source and target share a server, so shards run
 * as INSERT ... SELECT), and the streamed paths every cross-server copy takes: upsert statements,
 * and LOAD DATA (replace).
 */
const defaultVariants: Record<string, unknown>[] = [
  { worker_num: 4, read_batch: 5000, write_batch: 5000 },
  { worker_num: 4, read_batch: 5000, write_batch: 5000, direct_copy: false },
  { worker_num: 4, read_batch: 5000, write_batch: 5000, write_mode: 'replace', direct_copy: false },
  // The cost of resume positions: four big shards streamed with a position saved every second (the
  // default), then only at each shard's end.
  { worker_num: 4, read_batch: 5000, write_batch: 5000, direct_copy: false, shard_rows: 250000 },
  { worker_num: 4, read_batch: 5000, write_batch: 5000, direct_copy: false, shard_rows: 250000, checkpoint_seconds: 86400 },
];

function variantLabel(params: Record<string, unknown>): string {
  const mode = String(params.write_mode ?? 'upsert');
  if (params.direct_copy !== false) return `goshift ${mode}, same server (INSERT..SELECT)`;
  const checkpoints = params.shard_rows ? `, 4 shards, positions ${params.checkpoint_seconds === 86400 ? 'at shard end only' : 'every 1 s'}` : '';
  return `goshift ${mode}, streamed${mode === 'upsert' || params.load_data === false ? '' : ' (LOAD DATA)'}${checkpoints}`;
}

/** The benchmark table `orders` (~140-byte rows) in schema `db`. */
export const ddl = (db: string) => `CREATE TABLE \`${db}\`.orders (
  id bigint unsigned NOT NULL PRIMARY KEY,
  customer_id bigint NOT NULL,
  status tinyint NOT NULL,
  amount decimal(12,2) NOT NULL,
  currency char(3) NOT NULL,
  note varchar(64) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/** Make `db`.orders hold exactly `rows` generated rows (reloaded only when its count differs). */
export async function loadOrders(admin: mysql.Connection, db: string, rows: number): Promise<void> {
  const [have] = await admin.query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders'`, [db]);
  const existing = Number((have as { n: string }[])[0].n) ? Number(((await admin.query(`SELECT COUNT(*) AS n FROM ${db}.orders`))[0] as { n: string }[])[0].n) : -1;
  if (existing !== rows) {
    process.stdout.write(`loading ${rows} source rows into ${db}.orders ...\n`);
    await admin.query(`DROP TABLE IF EXISTS ${db}.orders`);
    await admin.query(ddl(db));
    await admin.query(`INSERT INTO ${db}.orders SELECT seq, 1000000 + seq % 50000, seq % 5, (seq % 100000) / 100, ELT(1 + seq % 3, 'EUR', 'USD', 'CNY'),
      CONCAT('order note ', LPAD(seq, 12, '0'), ' ', SUBSTRING(MD5(seq), 1, 20)),
      TIMESTAMP('2024-01-01') + INTERVAL seq SECOND + INTERVAL seq % 1000000 MICROSECOND, TIMESTAMP('2024-06-01') + INTERVAL seq SECOND
      FROM ${db}.seq_1_to_${rows}`);
  }
}

async function resetTarget(admin: mysql.Connection, withTable: boolean): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${DST}`);
  await admin.query(`CREATE DATABASE ${DST} DEFAULT CHARACTER SET utf8mb4`);
  if (withTable) await admin.query(ddl(DST));
}

/** CHECKSUM TABLE of `db`.orders (same on two servers of one version for the same rows). */
export async function checksum(admin: mysql.Connection, db: string): Promise<string> {
  const [rows] = await admin.query(`CHECKSUM TABLE \`${db}\`.orders`);
  return String((rows as { Checksum: string }[])[0].Checksum);
}

/** Run the MySQL benchmark and print its table. */
export async function runMysqlBench(rows: number, variants: Record<string, unknown>[] = process.env.BENCH_PARAMS ? [JSON.parse(process.env.BENCH_PARAMS)] : defaultVariants): Promise<void> {
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root', bigNumberStrings: true, supportBigNumbers: true });
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${SRC} DEFAULT CHARACTER SET utf8mb4`);
  await loadOrders(admin, SRC, rows);
  const expected = await checksum(admin, SRC);
  const results: { name: string; m: Measured }[] = [];
  const verify = async (name: string, m: Measured) => {
    const got = await checksum(admin, DST);
    if (got !== expected) throw new Error(`${name}: target checksum ${got} differs from source ${expected}`);
    results.push({ name, m });
  };

  // goshift: metadata schema, one task row, a config pointing at the bench schemas.
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-'));
  const entry = { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: SRC };
  fs.writeFileSync(path.join(configDir, 'bench.json'), JSON.stringify({
    task_meta: { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: META },
    log: { level: 'warn', dir: '' },
    from: { mysql: { [`bench_${SRC}`]: entry } },
    to: { mysql: { [`bench_${DST}`]: { ...entry, db: DST } } },
  }));
  const goshift = `node ${path.join(packageRoot, 'bin', 'goshift')} -c ${configDir} -e bench`;
  await timeCommand(`${goshift} init-db`);
  if (SRC.length > 20 || DST.length > 20) throw new Error('bench schema names must fit from_db varchar(20)');
  for (const [i, params] of variants.entries()) {
    await admin.query(`DELETE FROM ${META}.task_def_sync_manager WHERE id = ?`, [i + 1]);
    await admin.query(
      `INSERT INTO ${META}.task_def_sync_manager (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, task_desc)
       VALUES (?, 'bench', 'bench', 'mysql', 'mysql', ?, ?, 'orders', 'orders', ?, 'benchmark')`,
      [i + 1, SRC, DST, JSON.stringify(params)],
    );
    await resetTarget(admin, true);
    await verify(variantLabel(params), await timeCommand(`${goshift} -id ${i + 1}`, { trackMemory: true }));
  }

  if (process.env.BENCH_ONLY !== 'goshift') await runPeers(admin, verify);
  printTable(`MySQL -> MySQL, ${rows} rows (~140 bytes each), all copies verified by CHECKSUM TABLE`, 'rows', rows, results);
  process.stdout.write(`goshift params: ${variants.map((v) => JSON.stringify(v)).join(' | ')}\n`);
  await admin.query(`DROP DATABASE IF EXISTS ${DST}`);
  await admin.query(`DROP DATABASE IF EXISTS ${META}`);
  await admin.end();
  fs.rmSync(configDir, { recursive: true, force: true });
}

/** The peers, each into a fresh target schema. */
async function runPeers(admin: mysql.Connection, verify: (name: string, m: Measured) => Promise<void>): Promise<void> {
  await resetTarget(admin, false);
  await verify('mariadb-dump | mariadb', await timeCommand(`mariadb-dump -h127.0.0.1 -uroot --single-transaction ${SRC} orders | ${client} ${DST}`));

  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-mydumper-'));
  fs.rmSync(dumpDir, { recursive: true });
  await resetTarget(admin, false);
  await verify('mydumper | myloader (2 threads)', await timeCommand(
    `mydumper -h 127.0.0.1 -u root -B ${SRC} -T orders -t 2 -r 100000 -o ${dumpDir} -v 1 && myloader -h 127.0.0.1 -u root -d ${dumpDir} -B ${DST} -s ${SRC} -t 2 -o -v 1`,
  ));
  fs.rmSync(dumpDir, { recursive: true, force: true });

  await resetTarget(admin, true);
  await verify('INSERT ... SELECT (ceiling)', await timeCommand(`${client} -e "INSERT INTO ${DST}.orders SELECT * FROM ${SRC}.orders"`));
}
