/**
 * The conformance suite: the same checks against every built-in plugin (`allPlugins()`).
 *
 * - Every reader kind into every writer that accepts it: for each (reader plugin, writer plugin)
 *   pair whose kinds the runtime bridges (`checkBridge`), a task row in a throwaway metadata schema
 *   is run twice by the built CLI (`bin/goshift`: the real planner, piscina pool, worker threads,
 *   `runShard`, bridge and position saving); the target must equal the source as the pair's
 *   fixture defines it, the second run must change nothing, and each run record must say what was
 *   read and written.
 * - Each plugin's sessions through the contract: `write(batch, shard)` / `flush(shard)` per shard,
 *   `close()` idempotent, any use after close refused.
 *
 * A plugin without a store fixture, or a pair without a pair fixture, fails the suite on purpose.
 *
 * The pairs are cut into slices, one test file each (`test/integration/conformance-pairs-<n>.test.ts`),
 * so jest's workers run them side by side; `conformance-plugins.test.ts` holds the rest.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Plugin, ReaderSession, Shard, WriterSession } from '../../src/sdk';
import { validateWithSchema } from '../../src/config/schema';
import { GoshiftError } from '../../src/errors';
import { coreParamsSchema, parseParams } from '../../src/params';
import { checkBridge } from '../../src/records/bridge';
import { mappingParamsSchema } from '../../src/records/params';
import { allPlugins, knownTypes } from '../../src/registry';
import { recordsIn } from '../../src/runtime/shard-runner';
import { GoshiftTestEnv } from './goshift-env';
import { dynamodbFixture } from './fixtures/dynamodb';
import { fileFixture } from './fixtures/file';
import { mysqlFixture } from './fixtures/mysql';
import { pairFixtures } from './fixtures/pairs';
import { redisFixture } from './fixtures/redis';
import { s3Fixture } from './fixtures/s3';
import { expirySlackMs, PairFixture, SeededPair, SeededStore, StoreFixture, TargetSnapshot } from './fixtures/types';
import { pluginContext, taskRow } from './plugin-context';

/** Store fixtures by plugin type. */
const storeFixtures: Record<string, StoreFixture> = {
  mysql: mysqlFixture,
  redis: redisFixture,
  file: fileFixture,
  dynamodb: dynamodbFixture,
  s3: s3Fixture,
};

/** Records each pair copies. Enough for several Redis cursor segments (1000 keys each at least). */
const PAIR_RECORDS = 3000;

const plugins = allPlugins();

/**
 * Whether the runtime can bridge the kinds `reader` emits to what `writer` takes, given the
 * mapping params a cross-kind task declares (a key template), for some params of the reader.
 * Only a missing route fails then.
 */
function bridges(reader: Plugin, writer: Plugin): boolean {
  const params = parseParams(JSON.stringify({ key_template: 'k:{id}' }), 1, [mappingParamsSchema]);
  // A reader whose kinds depend on the params (`readsFor`) is tried with each kind it can emit.
  const variants: Plugin[] = reader.readsFor ? (reader.reads ?? ['row']).map((k) => ({ ...reader, reads: [k], readsFor: undefined })) : [reader];
  return variants.some((r) => {
    try {
      checkBridge(r, writer, taskRow({ from_db_type: reader.type, to_db_type: writer.type }), params);
      return true;
    } catch {
      return false;
    }
  });
}

/** Every (reader, writer) pair of built-in plugins the runtime can run, as `reader->writer`. */
const pairs: string[] = plugins
  .flatMap((r) => plugins.map((w) => [r, w] as const))
  .filter(([r, w]) => r.reader && w.writer && bridges(r, w))
  .map(([r, w]) => `${r.type}->${w.type}`);

function storeFixture(type: string): StoreFixture {
  const fixture = storeFixtures[type];
  if (!fixture) throw new Error(`plugin "${type}" has no conformance store fixture: add one in test/support/fixtures and list it in conformance.test.ts`);
  return fixture;
}

function pairFixture(pair: string): PairFixture {
  const fixture = pairFixtures[pair];
  if (!fixture) throw new Error(`pair ${pair} has no conformance fixture: add one to test/support/fixtures/pairs.ts`);
  return fixture;
}

/** The target equals the expectation: content exactly, absolute expiries within {@link expirySlackMs}. */
function expectSameTarget(actual: TargetSnapshot, expected: TargetSnapshot): void {
  expect(actual.content).toEqual(expected.content);
  expect(Object.keys(actual.expiries).sort()).toEqual(Object.keys(expected.expiries).sort());
  const off = Object.entries(expected.expiries)
    .filter(([key, at]) => !(Math.abs(actual.expiries[key] - at) <= expirySlackMs))
    .map(([key, at]) => ({ key, expected: at, actual: actual.expiries[key] }));
  expect(off).toEqual([]);
}

/** Read every batch of a shard; resolves to the number of records. */
async function drain(session: ReaderSession, shard: Shard, signal: AbortSignal): Promise<number> {
  let n = 0;
  // A native payload (Batch.native) counts by what it holds.
  for await (const batch of session.read(shard, { batchSize: 10, signal })) n += recordsIn(batch);
  return n;
}

/** How many slices the pairs are cut into: one `conformance-pairs-<n>.test.ts` per slice, 1..PAIR_SLICES. */
export const PAIR_SLICES = 4;

/**
 * The pairs of one slice (1-based), every PAIR_SLICES-th in order, so each slice mixes slow and
 * fast stores.
 */
export function pairsOfSlice(slice: number): string[] {
  return pairs.filter((_, i) => i % PAIR_SLICES === slice - 1);
}

/** The checks of the plugins themselves and of the pair list (no pair is copied here). */
export function describePluginConformance(): void {
  describe('pairs', () => {
    test('the built-in plugins give pairs to copy, and every pair fixture names one of them', () => {
      expect(pairs.length).toBeGreaterThan(0);
      // A fixture for a pair that no longer exists (or cannot be bridged) is stale.
      for (const name of Object.keys(pairFixtures)) expect(pairs).toContain(name);
    });

    test('every pair is in exactly one slice', () => {
      const sliced = Array.from({ length: PAIR_SLICES }, (_, i) => pairsOfSlice(i + 1)).flat();
      expect(sliced.sort()).toEqual([...pairs].sort());
      const files = fs.readdirSync(path.join(__dirname, '..', 'integration')).filter((f) => /^conformance-pairs-\d+\.test\.ts$/.test(f));
      expect(files.sort()).toEqual(Array.from({ length: PAIR_SLICES }, (_, i) => `conformance-pairs-${i + 1}.test.ts`).sort());
    });
  });

  describe.each(plugins.map((p) => [p.type, p] as const))('plugin %s', (type, plugin) => {
    let seeded: SeededStore | undefined;
    afterEach(async () => {
      await seeded?.cleanup();
      seeded = undefined;
    });

    test('declares its contract', () => {
      expect(type).toMatch(/^[a-z][a-z0-9]*$/);
      expect(knownTypes()).toContain(plugin.type);
      expect(Boolean(plugin.reader || plugin.writer)).toBe(true);
      if (plugin.reader) expect(typeof plugin.reader.plan).toBe('function');
      if (plugin.reader) expect(typeof plugin.reader.open).toBe('function');
      if (plugin.writer) expect(typeof plugin.writer.open).toBe('function');
      // The connection schema has defaults for everything, and secrets are marked sensitive.
      expect(() => validateWithSchema(plugin.connectionSchema, {})).not.toThrow();
      const password = (plugin.connectionSchema as Record<string, { sensitive?: boolean }>).password;
      if (password) expect(password.sensitive).toBe(true);
      // Plugin params never shadow core params (nor the core mapping keys).
      for (const key of Object.keys(plugin.paramsSchema ?? {})) expect(Object.keys(coreParamsSchema)).not.toContain(key);
      for (const key of Object.keys(plugin.paramsSchema ?? {})) expect(Object.keys(mappingParamsSchema)).not.toContain(key);
      // Record kinds are declared, and only known ones.
      for (const kind of [...(plugin.reads ?? []), ...(plugin.writes ?? [])]) expect(['row', 'entry', 'object']).toContain(kind);
    });

    test('has a store fixture', () => {
      expect(Object.keys(storeFixtures)).toContain(type);
    });

    const withReader = plugin.reader ? test : test.skip;
    const withWriter = plugin.writer ? test : test.skip;

    withReader('reader session: reads every planned shard; close() is idempotent; a read after close is refused', async () => {
      seeded = await storeFixture(type).seed(plugin, 40);
      const ctx = pluginContext(plugin, { connection: seeded.source.connection, params: { worker_num: 2, ...seeded.params }, task: { from_db: seeded.source.db, from_table: seeded.source.table } });
      const shards = await plugin.reader!.plan(ctx);
      expect(shards.length).toBeGreaterThan(0);
      const session: ReaderSession = await plugin.reader!.open(ctx);
      let read = 0;
      for (const shard of shards) read += await drain(session, shard, ctx.signal);
      expect(read).toBeGreaterThanOrEqual(seeded.count);
      await Promise.all([session.close(), session.close()]);
      await session.close();
      await expect(drain(session, shards[0], ctx.signal)).rejects.toThrow(/closed/);
    });

    withWriter('writer session: write(batch, shard) and flush(shard) per shard; close() is idempotent; write and flush after close are refused', async () => {
      seeded = await storeFixture(type).seed(plugin, 0);
      const ctx = pluginContext(plugin, {
        connection: seeded.target.connection,
        params: seeded.params ?? {},
        task: { from_db: seeded.source.db, to_db: seeded.target.db, from_table: seeded.source.table, to_table: seeded.target.table },
      });
      const session: WriterSession = await plugin.writer!.open(ctx);
      const a: Shard = { id: 'conf-a', label: 'shard a', spec: { part: 'a' } };
      const b: Shard = { id: 'conf-b', label: 'shard b', spec: { part: 'b' } };
      // Two shards interleaved on one session, as a worker thread runs them.
      expect(await session.write(seeded.sample(0, 5), a)).toBe(5);
      expect(await session.write(seeded.sample(5, 4), b)).toBe(4);
      expect(await session.write(seeded.sample(9, 3), a)).toBe(3);
      await session.flush(a);
      await session.end?.(a);
      await session.flush(b);
      await session.end?.(b);
      expect(await seeded.targetCount()).toBe(12);
      await Promise.all([session.close(), session.close()]);
      await session.close();
      await expect(session.write(seeded.sample(20, 1), a)).rejects.toThrow(/closed/);
      await expect(session.flush(a)).rejects.toThrow(/closed/);
      expect(await seeded.targetCount()).toBe(12);
    });

    withReader('an empty source plans cleanly and reads nothing', async () => {
      seeded = await storeFixture(type).seed(plugin, 0);
      const ctx = pluginContext(plugin, { connection: seeded.source.connection, params: seeded.params ?? {}, task: { from_db: seeded.source.db, from_table: seeded.source.table } });
      const shards = await plugin.reader!.plan(ctx);
      const session = await plugin.reader!.open(ctx);
      try {
        let n = 0;
        for (const shard of shards) n += await drain(session, shard, ctx.signal);
        expect(n).toBe(0);
      } finally {
        await session.close();
      }
    });

    test('an unreachable store fails with one line naming where (host:port, or the missing directory)', async () => {
      seeded = await storeFixture(type).seed(plugin, 1);
      const side = plugin.reader ? seeded.source : seeded.target;
      const unreachable = seeded.unreachable ?? { connection: { ...side.connection, host: '127.0.0.1', port: 1 }, mentions: '127.0.0.1:1' };
      const ctx = pluginContext(plugin, {
        connection: unreachable.connection,
        params: seeded.params ?? {},
        task: { from_db: side.db, to_db: side.db, from_table: side.table, to_table: side.table },
      });
      const err = await (plugin.reader ? plugin.reader.plan(ctx) : plugin.writer!.open(ctx)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(GoshiftError);
      expect((err as Error).message).toContain(unreachable.mentions);
      expect((err as Error).message).not.toContain('\n');
    });
  });
}

/** Every pair of one slice (1..PAIR_SLICES) copied through the runtime. */
export function describePairConformance(slice: number): void {
  describe.each(pairsOfSlice(slice).map((p) => [p]))('%s through the runtime', (pair) => {

    let env: GoshiftTestEnv | undefined;
    let seeded: SeededPair | undefined;
    afterEach(async () => {
      await seeded?.cleanup();
      await env?.cleanup();
      seeded = undefined;
      env = undefined;
    });

    /** Run the task with the built CLI and check its exit, its run record and the task status. */
    async function runOnce(id: number, s: SeededPair, previousRun?: string): Promise<Record<string, string>> {
      const res = await env!.run(id);
      expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr }).toEqual({ code: 0, stderr: '' });
      const run = (await env!.lastRun(id))!;
      expect(run).toBeDefined();
      if (previousRun !== undefined) expect(run.id).not.toBe(previousRun);
      expect(run).toMatchObject({ status: 'success', rows_failed: '0', error_text: null });
      expect(Number(run.bytes)).toBeGreaterThan(0);
      // Several shards ran (one where the pair reads once), all of them finished.
      if (s.oneShard) expect(Number(run.shards_total)).toBe(1);
      else expect(Number(run.shards_total)).toBeGreaterThan(1);
      expect(run.shards_done).toBe(run.shards_total);
      // What was read: every record (exactly, unless the reader may re-read a boundary batch); all of it written.
      if (s.exactRead) expect(Number(run.rows_read)).toBe(s.count);
      else expect(Number(run.rows_read)).toBeGreaterThanOrEqual(s.count);
      expect(run.rows_written).toBe(run.rows_read);
      expect(await env!.taskStatus(id)).toBe('4');
      return run;
    }

    // Slow stores on 2 shared cores (s3rver) need more than the default 120 s for a pair and its cleanup.
    test('copies every record exactly; a second run changes nothing; the run records say what was read and written', async () => {
      const fixture = pairFixture(pair);
      env = await new GoshiftTestEnv().setup();
      seeded = await fixture.seed(env, PAIR_RECORDS);
      env.writeConfig(seeded.config);
      const [readerType, writerType] = pair.split('->');
      const id = await env.addTask({ from_db_type: readerType, to_db_type: writerType, ...seeded.task });

      const expected = await seeded.expected();
      const first = await runOnce(id, seeded);
      const afterFirst = await seeded.actual();
      expectSameTarget(afterFirst, expected);

      await runOnce(id, seeded, first.id);
      const afterSecond = await seeded.actual();
      expectSameTarget(afterSecond, afterFirst);
      // The source is untouched by both runs.
      expectSameTarget(await seeded.expected(), expected);
    }, 300_000);
  });
}
