import winston from 'winston';
import mysql from '../../plugins/mysql';
import redis from '../../plugins/redis';
import type { Batch, KvEntry, Plugin, PluginContext, SyncRecord } from '../../src/sdk';
import { TaskError, WriteError } from '../../src/errors';
import { parseParams } from '../../src/params';
import { checkBridge, createBridge, sharesNativeFormat } from '../../src/records/bridge';
import { EntryToRow } from '../../src/records/entry-to-row';
import { KeyTemplate } from '../../src/sdk/key-template';
import { MappingParams, mappingParams, mappingParamsSchema } from '../../src/records/params';
import { RowToEntry } from '../../src/records/row-to-entry';
import { taskRow } from '../support/plugin-context';

const b = (s: string) => Buffer.from(s);
const NOW = 1_700_000_000_000;

const params = (over: Partial<MappingParams> = {}): MappingParams => ({
  key_template: 'user:{id}', value_format: 'auto', key_column: '', value_column: 'value', ttl_column: '', expire_at_column: '', ttl_seconds: 0, ...over,
});

describe('key templates', () => {
  test('build and parse keys', () => {
    const t = new KeyTemplate('order:{shop}:{id}');
    expect(t.build({ shop: 7, id: '42', other: 1 })).toBe('order:7:42');
    expect(t.parse('order:7:42')).toEqual({ shop: '7', id: '42' });
    expect(t.parse('user:1')).toBeNull();
    expect(t.matchPattern()).toBe('order:*:*');
    expect(() => t.build({ shop: 1, id: null })).toThrow(/column "id" is NULL/);
    expect(new KeyTemplate('a*{id}').matchPattern()).toBe('a\\**');
  });
});

describe('row <-> entry mappings', () => {
  test('rows map to hashes, JSON or strings with an absolute expiry', () => {
    const row = { id: '1', name: 'ü', n: 5, gone: null, bin: Buffer.from([0xff, 0]) };
    const h = new RowToEntry(params({ ttl_seconds: 2 }), 'user:{id}').convert(row, NOW);
    expect(h).toEqual({ key: b('user:1'), type: 'hash', value: [[b('id'), b('1')], [b('name'), b('ü')], [b('n'), b('5')], [b('bin'), Buffer.from([0xff, 0])]], expireAt: NOW + 2000 });
    const j = new RowToEntry(params({ value_format: 'json' }), 'user:{id}').convert(row, NOW);
    expect(j.type).toBe('string');
    expect(j.expireAt).toBeNull();
    expect(JSON.parse(String(j.value))).toMatchObject({ id: '1', name: 'ü', n: 5, gone: null });
    expect(() => new RowToEntry(params({ value_format: 'string' }), 'user:{id}').convert(row)).toThrow(/value_column "value"/);
    const s = new RowToEntry(params({ value_format: 'string', value_column: 'v', ttl_column: 'ttl', ttl_seconds: 9 }), 'kv:{k}');
    expect(s.convert({ k: 'a', v: 'x', ttl: 900000 }, NOW)).toEqual({ key: b('kv:a'), type: 'string', value: b('x'), expireAt: NOW + 900000 });
    expect(s.convert({ k: 'b', v: null, ttl: null }, NOW)).toEqual({ key: b('kv:b'), type: 'string', value: Buffer.alloc(0), expireAt: NOW + 9000 });
  });

  test('entries map back to rows: key columns, fields, ms left, binary kept', () => {
    const back = new EntryToRow(params({ ttl_column: 'ttl' }));
    const hash: KvEntry = { key: b('user:1'), type: 'hash', value: [[b('name'), b('ü')], [b('bin'), Buffer.from([0xff, 0])]], expireAt: NOW + 5000 };
    expect(back.convert(hash, NOW)).toEqual({ id: '1', name: 'ü', bin: Buffer.from([0xff, 0]), ttl: 5000 });
    expect(back.convert({ ...hash, key: b('nope:1') }, NOW)).toBeNull();
    expect(back.convert({ ...hash, expireAt: null }, NOW)).toMatchObject({ ttl: null });
    const kv = new EntryToRow(params({ key_template: '' }));
    expect(kv.convert({ key: b('k'), type: 'string', value: b('v'), expireAt: null })).toEqual({ key: 'k', value: 'v' });
    const js = new EntryToRow(params({ value_format: 'json' }));
    expect(js.convert({ key: b('user:2'), type: 'string', value: b('{"a":1,"b":{"c":2}}'), expireAt: null })).toEqual({ id: '2', a: 1, b: '{"c":2}' });
    expect(js.convert({ key: b('user:3'), type: 'string', value: b('plain'), expireAt: null })).toEqual({ id: '3', value: 'plain' });
    const only = new EntryToRow(params(), ['id', 'name']);
    expect(only.convert(hash)).toEqual({ id: '1', name: 'ü' });
  });

  test('types without columns go to value_column as JSON', () => {
    const t = new EntryToRow(params({ key_template: '', key_column: 'k' }));
    const row = (e: Omit<KvEntry, 'key' | 'expireAt'>) => t.convert({ key: b('x'), expireAt: null, ...e } as KvEntry);
    expect(row({ type: 'list', value: [b('a'), b('b')] })).toEqual({ k: 'x', value: '["a","b"]' });
    expect(row({ type: 'zset', value: [[b('m'), '1.5']] })).toEqual({ k: 'x', value: '{"m":"1.5"}' });
    expect(row({ type: 'stream', value: [['1-1', [[b('f'), b('v')]]]] })).toEqual({ k: 'x', value: '[["1-1",["f","v"]]]' });
    const asString = new EntryToRow(params({ key_template: '', value_format: 'string' }));
    expect(asString.convert({ key: b('h'), type: 'hash', value: [[b('f'), b('v')]], expireAt: null })).toEqual({ key: 'h', value: '{"f":"v"}' });
  });
});

describe('bridge between kinds', () => {
  const logger = winston.createLogger({ silent: true });
  function ctx(plugin: Plugin, peer: Plugin, raw: Record<string, unknown>, task: Record<string, unknown> = {}): PluginContext {
    const t = taskRow({ from_db_type: peer.type, to_db_type: plugin.type, params: JSON.stringify(raw), ...task });
    const p = parseParams(t.params, t.id, [mappingParamsSchema, mysql.paramsSchema!, redis.paramsSchema!]);
    return { task: t, params: p, connection: {}, peerNative: sharesNativeFormat(peer, plugin), readOnce: false, mode: 'init', shardsPerThread: 1, runState: {}, keys: [], logger, signal: new AbortController().signal };
  }

  test('plugins declare their kinds; only same-format plugins share native payloads', () => {
    expect([mysql.reads, mysql.writes, redis.reads, redis.writes]).toEqual([['row'], ['row'], ['entry'], ['entry']]);
    // mysql declares its native format too (rows as mysql2 returns them; its connection share counts on it).
    expect([mysql.nativeFormat, redis.nativeFormat]).toEqual(['mysql', 'redis']);
    expect(sharesNativeFormat(redis, redis)).toBe(true);
    expect(sharesNativeFormat(mysql, mysql)).toBe(true);
    expect(sharesNativeFormat(mysql, redis)).toBe(false);
    // mysql rows (text and Buffers) are mysql's native form: a mysql peer takes them unchanged.
    expect(sharesNativeFormat(mysql, mysql)).toBe(true);
    expect(sharesNativeFormat(redis, mysql)).toBe(false);
  });

  test('matching kinds need no converter', () => {
    expect(createBridge(redis, redis, ctx(redis, redis, {}), ctx(redis, redis, {}))).toBeUndefined();
    expect(createBridge(mysql, mysql, ctx(mysql, mysql, {}), ctx(mysql, mysql, {}))).toBeUndefined();
  });

  test('row -> entry: keys from key_template or a to_table with placeholders; a bad row fails naming the column', () => {
    const w = ctx(redis, mysql, { ttl_seconds: 10 }, { to_table: 'u:{id}' });
    const convert = createBridge(mysql, redis, w, w)!;
    const before = Date.now();
    const { batch, skipped } = convert({ records: [{ id: 1, a: 'x' }], bytes: 5, columns: ['id', 'a'], position: ['1'] });
    expect(skipped).toBe(0);
    expect(batch.kind).toBe('entry');
    expect(batch.position).toEqual(['1']);
    const e = batch.records[0] as unknown as KvEntry;
    expect(e.key).toEqual(b('u:1'));
    expect(e.expireAt! - before).toBeGreaterThanOrEqual(10_000);
    expect(() => convert({ records: [{ id: null }], bytes: 0 })).toThrow(WriteError);
    expect(() => convert({ records: [{ id: null }], bytes: 0 })).toThrow(/task 1: key_template "u:\{id\}": column "id" is NULL/);
  });

  test('entry -> row: expired entries and keys off the template are skipped and counted; rows carry the union of columns', () => {
    const w = ctx(mysql, redis, { key_template: 'user:{id}', ttl_column: 'ttl' });
    const convert = createBridge(redis, mysql, w, w)!;
    const now = Date.now();
    const entries: KvEntry[] = [
      { key: b('user:1'), type: 'hash', value: [[b('a'), b('1')]], expireAt: null },
      { key: b('user:2'), type: 'hash', value: [[b('b'), b('2')]], expireAt: now + 600_000 },
      { key: b('user:3'), type: 'hash', value: [[b('a'), b('3')]], expireAt: now - 1 },
      { key: b('other:4'), type: 'hash', value: [], expireAt: null },
    ];
    const read: Batch = { kind: 'entry', records: entries as unknown as SyncRecord[], bytes: 10 };
    const { batch, skipped } = convert(read);
    expect(skipped).toBe(2);
    expect(batch.kind).toBe('row');
    expect(batch.records).toEqual([{ id: '1', a: '1', ttl: null }, { id: '2', b: '2', ttl: expect.any(Number) }]);
    expect((batch.records[1] as { ttl: number }).ttl).toBeGreaterThan(590_000);
    expect(new Set(batch.columns)).toEqual(new Set(['id', 'a', 'b', 'ttl']));
    expect(() => convert({ kind: 'entry', records: [{ key: b('user:1'), type: 'hash', value: [], expireAt: null, native: b('x') }] as unknown as SyncRecord[], bytes: 0 })).toThrow(/native payload/);
  });

  test('the door: a kind no mapping reaches, or a mapping without its params, fails with one line', () => {
    const p = (raw: Record<string, unknown>) => ctx(redis, mysql, raw).params;
    const task = taskRow({ id: 9, from_db_type: 'mysql', to_db_type: 'redis', to_table: '' });
    expect(() => checkBridge(mysql, redis, task, p({}))).toThrow(new TaskError('task 9: a mysql->redis task needs params.key_template (e.g. "user:{id}") or a to_table with {column} placeholders'));
    expect(() => checkBridge(mysql, redis, task, p({ key_template: 'user' }))).toThrow(/params\.key_template "user" has no \{column\} placeholder/);
    expect(() => checkBridge(mysql, redis, { ...task, to_table: 'user:{id}' }, p({}))).not.toThrow();
    expect(() => checkBridge(redis, mysql, { ...task, from_db_type: 'redis', to_db_type: 'mysql' }, p({}))).not.toThrow();
    expect(() => checkBridge(redis, mysql, { ...task, from_db_type: 'redis', to_db_type: 'mysql' }, p({ key_template: 'fixed' }))).toThrow(/has no \{column\} placeholder/);
    const objects: Plugin = { type: 'blob', connectionSchema: {}, reads: ['object'], writes: ['object'] };
    const err = (() => { try { checkBridge(objects, mysql, { ...task, from_db_type: 'blob', to_db_type: 'mysql' }, p({})); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(TaskError);
    expect(err!.message).toBe('task 9: a blob->mysql task cannot run: the reader gives object records, the writer takes row records, and there is no mapping between them');
    // A reader that gives entries as well as rows (persisted items carry their key in the envelope):
    // no template needed up front; a plain row without one is refused as it comes, naming the fix.
    const mixed: Plugin = { type: 'items', connectionSchema: {}, reads: ['row', 'entry'], writes: ['row', 'entry'] };
    const restore = { ...task, from_db_type: 'items' };
    expect(() => checkBridge(mixed, redis, restore, p({}))).not.toThrow();
    const w = ctx(redis, mixed, {}, { to_table: '' });
    const convert = createBridge(mixed, redis, w, w)!;
    const entry: KvEntry = { key: b('user:1'), type: 'string', value: b('v'), expireAt: null };
    expect(convert({ kind: 'entry', records: [entry as unknown as SyncRecord], bytes: 0 }).batch.records).toEqual([entry]);
    expect(() => convert({ kind: 'row', records: [{ id: 1 }], bytes: 0 })).toThrow(new WriteError('task 1: the source holds a record without an entry envelope (not persisted by goshift), which has no key: set params.key_template (e.g. "user:{id}") to map such records to keys'));
    expect(mappingParams(p({ value_format: 'json' })).value_format).toBe('json');
    expect(() => p({ value_format: 'xml' })).toThrow(/params\.value_format must be one of "auto", "hash", "json", "string", "envelope", got "xml"/);
    expect(() => p({ ttl_seconds: -1 })).toThrow(/params\.ttl_seconds must be a number >= 0/);
  });
});
