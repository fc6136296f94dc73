/**
 * The conformance suite: the same checks against every registered plugin. A plugin added to
 * `src/registry.ts` without a fixture here fails the suite on purpose.
 */
import type { PluginContext } from '../../src/contract';
import { GoshiftError } from '../../src/errors';
import { coreParamsSchema } from '../../src/params';
import { validateWithSchema } from '../../src/config/schema';
import { allPlugins, knownTypes } from '../../src/registry';
import { drive } from '../support/drive-plugins';
import { mysqlFixture } from '../support/fixtures/mysql';
import { redisFixture } from '../support/fixtures/redis';
import type { PluginFixture } from '../support/fixtures/types';
import { pluginContext } from '../support/plugin-context';

const fixtures: Record<string, PluginFixture> = {
  mysql: mysqlFixture,
  redis: redisFixture,
};

describe.each(allPlugins().map((p) => [p.type, p] as const))('plugin %s', (type, plugin) => {
  test('declares its contract', () => {
    expect(type).toMatch(/^[a-z][a-z0-9]*$/);
    expect(knownTypes()).toContain(plugin.type);
    expect(plugin.reader || plugin.writer).toBeTruthy();
    if (plugin.reader) expect(typeof plugin.reader.plan).toBe('function');
    if (plugin.reader) expect(typeof plugin.reader.open).toBe('function');
    if (plugin.writer) expect(typeof plugin.writer.open).toBe('function');
    // The connection schema has defaults for everything, and secrets are marked sensitive.
    expect(() => validateWithSchema(plugin.connectionSchema, {})).not.toThrow();
    const password = (plugin.connectionSchema as Record<string, { sensitive?: boolean }>).password;
    if (password) expect(password.sensitive).toBe(true);
    // Plugin params never shadow core params.
    for (const key of Object.keys(plugin.paramsSchema ?? {})) expect(Object.keys(coreParamsSchema)).not.toContain(key);
  });

  test('has a conformance fixture', () => {
    expect(fixtures[type]).toBeDefined();
  });

  const fixture = fixtures[type];
  const maybe = fixture && plugin.reader && plugin.writer ? test : test.skip;

  maybe('copies every record to itself, shard by shard, and a second copy changes nothing', async () => {
    const seeded = await fixture.seed(plugin, 2345);
    try {
      const make = (): [PluginContext, PluginContext] => {
        const params = { worker_num: 3, read_batch: 100, write_batch: 40, ...seeded.params };
        const task = { from_db: seeded.source.db, to_db: seeded.target.db, from_table: seeded.source.table, to_table: seeded.target.table };
        return [
          pluginContext(plugin, { connection: seeded.source.connection, params, task }),
          pluginContext(plugin, { connection: seeded.target.connection, params, task }),
        ];
      };
      for (let round = 0; round < 2; round++) {
        const [readerCtx, writerCtx] = make();
        const result = await drive(plugin.reader!, readerCtx, plugin.writer!, writerCtx, { threads: 2 });
        expect(result.shards.length).toBeGreaterThan(1);
        expect(new Set(result.shards.map((s) => s.id)).size).toBe(result.shards.length);
        expect(JSON.parse(JSON.stringify(result.shards))).toEqual(result.shards);
        expect(result.read).toBeGreaterThanOrEqual(seeded.count);
        expect(result.written).toBe(result.read);
        await seeded.assertSame();
      }
    } finally {
      await seeded.cleanup();
    }
  });

  const readerOnly = plugin.reader ? test : test.skip;
  readerOnly('an empty source plans cleanly and reads nothing', async () => {
    if (!fixture) return;
    const seeded = await fixture.seed(plugin, 0);
    try {
      const ctx = pluginContext(plugin, { connection: seeded.source.connection, params: seeded.params ?? {}, task: { from_db: seeded.source.db, from_table: seeded.source.table } });
      const shards = await plugin.reader!.plan(ctx);
      const session = await plugin.reader!.open(ctx);
      let n = 0;
      for (const shard of shards) for await (const batch of session.read(shard, { batchSize: 10, signal: ctx.signal })) n += batch.records.length;
      await session.close();
      await session.close();
      expect(n).toBe(0);
    } finally {
      await seeded.cleanup();
    }
  });

  const withFixture = fixture ? test : test.skip;

  withFixture('an unreachable server fails with one line naming host:port', async () => {
    const seeded = await fixture.seed(plugin, 1);
    try {
      const side = plugin.reader ? seeded.source : seeded.target;
      const ctx = pluginContext(plugin, {
        connection: { ...side.connection, host: '127.0.0.1', port: 1 },
        params: seeded.params ?? {},
        task: { from_db: side.db, to_db: side.db, from_table: side.table, to_table: side.table },
      });
      const err = await (plugin.reader ? plugin.reader.plan(ctx) : plugin.writer!.open(ctx)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(GoshiftError);
      expect((err as Error).message).toMatch(/127\.0\.0\.1:1\b/);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await seeded.cleanup();
    }
  });

  const writerOnly = fixture && plugin.writer ? test : test.skip;
  writerOnly('a writer session closes idempotently and refuses writes after close', async () => {
    const seeded = await fixture.seed(plugin, 0);
    try {
      const ctx = pluginContext(plugin, {
        connection: seeded.target.connection,
        params: seeded.params ?? {},
        task: { from_db: seeded.source.db, to_db: seeded.target.db, from_table: seeded.source.table, to_table: seeded.target.table },
      });
      const session = await plugin.writer!.open(ctx);
      await session.flush();
      await session.close();
      await session.close();
      await expect(session.write({ records: [{ key: 'k', type: 'string', value: 'v', ttl_ms: -1, id: 1 }], bytes: 1 })).rejects.toThrow(/closed/);
    } finally {
      await seeded.cleanup();
    }
  });
});
