import type { Batch, PluginContext, ReaderSession, WriterSession } from '../../src/sdk';
import { RejectedError } from '../../src/errors';
import mysqlPlugin from '../../plugins/mysql/index';
import { GoshiftTestEnv } from '../support/goshift-env';
import { fidelityDdl, fidelityRows } from '../support/fixtures/mysql-fidelity';
import { pluginContext } from '../support/plugin-context';

/**
 * Native batches between two mysql servers (params.native_copy): the source server formats each
 * batch as LOAD DATA text and the writer loads it as it is. These tests drive the plugin's reader
 * and writer sessions directly, so they can see which batches travelled natively.
 */
describe('mysql -> mysql native batches', () => {
  let env: GoshiftTestEnv;
  const open: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await env.cleanup();
  });

  function ctx(params: Record<string, unknown>, task: Record<string, unknown> = {}): PluginContext {
    return pluginContext(mysqlPlugin, {
      connection: env.mysqlEntry(),
      task: { from_db: env.dataDb, to_db: env.dataDb, from_table: 'src', to_table: 'dst', ...task },
      params: { pk: { src: 'id', dest: 'id' }, ...params },
    });
  }

  /** What one copy did: every batch as read, and how often a writer asked a native batch for its records. */
  interface Copy {
    batches: { native: boolean; count: number }[];
    recordCalls: number;
    written: number;
  }

  /** Copy src into dst shard after shard on one reader and one writer session, as one worker thread would. */
  async function copy(params: Record<string, unknown>): Promise<Copy> {
    const c = ctx(params);
    const shards = await mysqlPlugin.reader!.plan(c);
    const reader: ReaderSession = await mysqlPlugin.reader!.open(c);
    const writer: WriterSession = await mysqlPlugin.writer!.open(c);
    open.push(reader, writer);
    const result: Copy = { batches: [], recordCalls: 0, written: 0 };
    for (const shard of shards) {
      for await (const batch of reader.read(shard, { batchSize: c.params.read_batch, signal: c.signal })) {
        result.batches.push({ native: Boolean(batch.native), count: batch.native ? batch.native.count : batch.records.length });
        result.written += await writer.write(counted(batch, result), shard);
      }
      await writer.flush(shard);
    }
    return result;
  }

  /** The batch with its `native.records()` counted in `into.recordCalls`. */
  function counted(batch: Batch, into: Copy): Batch {
    if (!batch.native) return batch;
    const native = batch.native;
    return { ...batch, native: { ...native, records: (opts) => { into.recordCalls++; return native.records(opts); } } };
  }

  async function same(): Promise<void> {
    const src = await env.sql('SELECT * FROM src ORDER BY id');
    expect(await env.sql('SELECT * FROM dst ORDER BY id')).toEqual(src);
    const sum = async (t: string) => String((await env.sql<{ Checksum: string }[]>(`CHECKSUM TABLE ${t}`))[0].Checksum);
    expect(await sum('dst')).toBe(await sum('src'));
  }

  test('every awkward type travels natively into an empty target and lands exactly (every write mode)', async () => {
    await env.sql(fidelityDdl('src'));
    await env.sql(fidelityRows);
    for (const mode of ['upsert', 'insert', 'ignore', 'replace']) {
      await env.sql('DROP TABLE IF EXISTS dst');
      await env.sql(fidelityDdl('dst'));
      const done = await copy({ read_batch: 2, write_mode: mode });
      expect(done.batches.length).toBeGreaterThan(1);
      expect(done.batches.every((b) => b.native)).toBe(true);
      expect(done.recordCalls).toBe(0);
      expect(done.written).toBe(5);
      await same();
    }
  });

  test.each([[true], [false]])('hostile text (quotes, tabs, newlines, the word NULL, \\N, latin1, SET) and FLOATs at their limits land exactly (native_copy %s)', async (native) => {
    const ddl = (t: string) => `CREATE TABLE ${t} (id int NOT NULL PRIMARY KEY, a varchar(40) NULL, l1 varchar(20) CHARACTER SET latin1 NULL,
      s set('x','y','z') NULL, c char(5) NOT NULL DEFAULT '', f float NULL, j json NULL) DEFAULT CHARSET=utf8mb4`;
    await env.sql(ddl('src'));
    await env.sql(ddl('dst'));
    await env.sql(`INSERT INTO src VALUES
      (1, '''starts with a quote', 'caf\\xe9', 'x,z', '', 1.1, '{"a": "\\\\"q\\\\"\\\\n"}'),
      (2, 'NULL', 'NULL', '', 'NULL', -1.17549435e-38, 'null'),
      (3, '\\\\N', '\\\\N', NULL, '\\\\N', 3.4028234e38, NULL),
      (4, 'tab\\there\\nnewline\\r\\0nul', 'x\\ty\\nz', 'y', 'a\\tb', 0.30000001, '[]'),
      (5, 'ends with a backslash \\\\', '\\\\''', NULL, '''', 1e-10, '"\\\\\\\\"'),
      (6, '', '', 'x', ' ', 0, '{}'),
      (7, NULL, NULL, NULL, '', NULL, NULL)`);
    const done = await copy({ read_batch: 3, native_copy: native });
    expect(done.batches.map((b) => b.native)).toEqual([native, native, native]);
    expect(done.recordCalls).toBe(0);
    await same();
    // A rerun over the full target finds every row identical (FLOAT compared as the same DOUBLE on
    // both sides), so it updates none.
    await env.sql('CREATE TABLE updates (n int NOT NULL)');
    await env.sql('INSERT INTO updates VALUES (0)');
    await env.sql('CREATE TRIGGER dst_updates BEFORE UPDATE ON dst FOR EACH ROW UPDATE updates SET n = n + 1');
    const rerun = await copy({ read_batch: 3, native_copy: native });
    expect(rerun.written).toBe(7);
    expect(await env.sql('SELECT n FROM updates')).toEqual([{ n: 0 }]);
    await same();
  });

  test('a batch whose key range the target already holds is read again as rows and upserted; the next batches come as rows for a while', async () => {
    const ddl = (t: string) => `CREATE TABLE ${t} (id bigint unsigned NOT NULL PRIMARY KEY, v varchar(20) NOT NULL)`;
    await env.sql(ddl('src'));
    await env.sql(ddl('dst'));
    await env.sql('INSERT INTO src SELECT seq, CONCAT(\'v\', seq) FROM seq_1_to_48');
    await env.sql("INSERT INTO dst VALUES (6, 'old'), (33, 'old'), (100, 'target only')");
    const done = await copy({ read_batch: 4 });
    // 12 shards of 4 rows: 1-4 natively, 5-8 declined (6 is there), then 8 batches' worth of rows
    // as rows, in half batches (33 among them), then natively again.
    expect(done.batches.map((b) => (b.native ? 'native' : 'rows'))).toEqual(['native', 'native', ...Array(16).fill('rows'), 'native', 'native']);
    expect(done.batches.slice(2, 18).every((b) => b.count === 2)).toBe(true);
    expect(done.recordCalls).toBe(1);
    expect(done.written).toBe(48);
    expect(await env.sql('SELECT * FROM dst WHERE id IN (6, 33, 100) ORDER BY id')).toEqual([
      { id: '6', v: 'v6' }, { id: '33', v: 'v33' }, { id: '100', v: 'target only' },
    ]);
    expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '49' }]);
  });

  test('a writer that can never load a native batch (load_data off) turns them off: full batches of rows after the first', async () => {
    const ddl = (t: string) => `CREATE TABLE ${t} (id int NOT NULL PRIMARY KEY, v varchar(20) NOT NULL)`;
    await env.sql(ddl('src'));
    await env.sql(ddl('dst'));
    await env.sql("INSERT INTO src SELECT seq, CONCAT('v', seq) FROM seq_1_to_40");
    const done = await copy({ read_batch: 4, load_data: false });
    expect(done.batches[0]).toEqual({ native: true, count: 4 });
    expect(done.batches.slice(1)).toEqual(Array(9).fill({ native: false, count: 4 }));
    expect(done.recordCalls).toBe(1);
    await same();
  });

  test('keys beyond 2^53 bound native batches exactly, and a resume position continues strictly after its key', async () => {
    const ddl = (t: string) => `CREATE TABLE ${t} (id bigint unsigned NOT NULL PRIMARY KEY, v int NOT NULL)`;
    await env.sql(ddl('src'));
    await env.sql(ddl('dst'));
    await env.sql('INSERT INTO src SELECT 18446744073709551600 + seq, seq FROM seq_0_to_15');
    const c = ctx({ read_batch: 5, shard_rows: 100 });
    const [shard, ...more] = await mysqlPlugin.reader!.plan(c);
    expect(more).toEqual([]);
    const reader = await mysqlPlugin.reader!.open(c);
    open.push(reader);
    const positions: unknown[] = [];
    const counts: number[] = [];
    for await (const batch of reader.read(shard, { batchSize: 5, signal: c.signal })) {
      positions.push(batch.position);
      counts.push(batch.native!.count);
    }
    expect(counts).toEqual([5, 5, 5, 1]);
    expect(positions).toEqual([['18446744073709551604'], ['18446744073709551609'], ['18446744073709551614'], ['18446744073709551615']]);
    const resumed: number[] = [];
    for await (const batch of reader.read(shard, { batchSize: 5, signal: c.signal, from: ['18446744073709551609'] })) {
      resumed.push(...(batch.native ? await batch.native.records() : batch.records).map((r) => Number(r.v)));
    }
    expect(resumed).toEqual([10, 11, 12, 13, 14, 15]);
  });

  test('a batch longer than the source server\'s max_allowed_packet comes as rows, and the next batches are smaller', async () => {
    const ddl = (t: string) => `CREATE TABLE ${t} (id int NOT NULL PRIMARY KEY, body longtext NOT NULL)`;
    await env.sql(ddl('src'));
    await env.sql(ddl('dst'));
    const [[{ packet }]] = (await env.admin.query('SELECT @@max_allowed_packet AS packet')) as unknown as [[{ packet: number }]];
    const rowBytes = Math.ceil(Number(packet) / 8);
    await env.sql(`INSERT INTO src SELECT seq, CONCAT(seq, ':', REPEAT('x', ${rowBytes})) FROM seq_1_to_24`);
    // 12 rows of an eighth of the packet each: the first batch is cut by the server.
    const done = await copy({ read_batch: 12, shard_rows: 1000 });
    expect(done.batches[0]).toEqual({ native: false, count: 12 });
    expect(done.batches.slice(1).every((b) => b.native && b.count < 12)).toBe(true);
    expect(done.batches.reduce((n, b) => n + b.count, 0)).toBe(24);
    expect(await env.sql('SELECT COUNT(*) AS n, SUM(CRC32(body)) AS c FROM dst')).toEqual(await env.sql('SELECT COUNT(*) AS n, SUM(CRC32(body)) AS c FROM src'));
  });

  test('a native batch the target would change (a value too long) is rolled back and refused from its rows, naming the value', async () => {
    await env.sql('CREATE TABLE src (id int NOT NULL PRIMARY KEY, v varchar(20) NOT NULL)');
    await env.sql('CREATE TABLE dst (id int NOT NULL PRIMARY KEY, v varchar(3) NOT NULL)');
    await env.sql("INSERT INTO src VALUES (1, 'ok'), (2, 'much too long'), (3, 'ok')");
    const c = ctx({ read_batch: 10 });
    const [shard] = await mysqlPlugin.reader!.plan(c);
    const reader = await mysqlPlugin.reader!.open(c);
    const writer = await mysqlPlugin.writer!.open(c);
    open.push(reader, writer);
    const copyStats: Copy = { batches: [], recordCalls: 0, written: 0 };
    let refused: unknown;
    for await (const batch of reader.read(shard, { batchSize: 10, signal: c.signal })) {
      expect(batch.native?.count).toBe(3);
      refused = await writer.write(counted(batch, copyStats), shard).catch((err: unknown) => err);
    }
    expect(refused).toBeInstanceOf(RejectedError);
    expect((refused as RejectedError).reason).toMatch(/too long/i);
    expect(copyStats.recordCalls).toBe(1);
    expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '0' }]);
  });

  test('native_copy off, a --key run, a composite key or a spatial column read rows', async () => {
    await env.sql('CREATE TABLE src (id int NOT NULL, k int NOT NULL, g point NULL, PRIMARY KEY (id, k))');
    await env.sql('INSERT INTO src VALUES (1, 1, NULL), (2, 1, NULL)');
    const firstBatch = async (c: PluginContext): Promise<Batch> => {
      const [shard] = await mysqlPlugin.reader!.plan(c);
      const reader = await mysqlPlugin.reader!.open(c);
      open.push(reader);
      for await (const batch of reader.read(shard, { batchSize: 10, signal: c.signal })) return batch;
      throw new Error('no batch');
    };
    expect((await firstBatch(ctx({ pk: {}, columns: ['id', 'k'] }))).native).toBeUndefined();
    await env.sql('ALTER TABLE src DROP PRIMARY KEY, ADD PRIMARY KEY (id)');
    expect((await firstBatch(ctx({ columns: ['id', 'k'] }))).native?.count).toBe(2);
    expect((await firstBatch(ctx({}))).native).toBeUndefined();
    expect((await firstBatch(ctx({ columns: ['id', 'k'], native_copy: false }))).native).toBeUndefined();
    const keyed = { ...ctx({ columns: ['id', 'k'] }), keys: ['1'] };
    expect((await firstBatch(keyed)).native).toBeUndefined();
  });
});
