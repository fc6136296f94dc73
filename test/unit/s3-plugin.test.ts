import { describeS3Error, hostPort, isS3Transient } from '../../plugins/s3/client';
import type { S3Side } from '../../plugins/s3/config';
import s3Plugin from '../../plugins/s3';
import type { KvEntry, ObjectRecord, SyncRecord } from '../../src/sdk';
import { ReadError } from '../../src/errors';
import { parseParams } from '../../src/params';
import { checkBridge, createBridge } from '../../src/records/bridge';
import { mappingParamsSchema } from '../../src/records/params';
import { getPlugin } from '../../src/registry';
import { pluginContext, taskRow } from '../support/plugin-context';

const side = (over: Partial<S3Side['conn']> = {}): S3Side => ({
  conn: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569', bucket: 'b', forcePathStyle: true, accessKeyId: '', secretAccessKey: '', sessionToken: '', ...over },
  bucket: 'b',
  prefix: 'p/',
  entry: 'from.s3.t_archive',
});

const awsError = (name: string, status?: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('s3 errors', () => {
  test.each([
    [awsError('SlowDown', 503), true],
    [awsError('InternalError', 500), true],
    [awsError('Unknown', 502), true],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), true],
    [new ReadError('wrapped', { cause: awsError('ThrottlingException', 400) }), true],
    [awsError('NoSuchBucket', 404), false],
    [awsError('AccessDenied', 403), false],
    [new Error('plain'), false],
  ])('isS3Transient(%p) is %p', (err, transient) => {
    expect(isS3Transient(err)).toBe(transient);
  });

  test('host:port of an endpoint, and of AWS by region', () => {
    expect(hostPort(side())).toBe('127.0.0.1:4569');
    expect(hostPort(side({ endpoint: 'https://s3.example.com' }))).toBe('s3.example.com:443');
    expect(hostPort(side({ endpoint: '' }))).toBe('s3.eu-west-1.amazonaws.com:443');
  });

  test('one line for a missing bucket, an unreachable endpoint, refused keys, anything else', () => {
    expect(describeS3Error(awsError('NoSuchBucket', 404), side())).toBe('bucket "b" does not exist at 127.0.0.1:4569 (from.s3.t_archive): create it or fix "bucket" in the entry');
    expect(describeS3Error(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), side())).toMatch(/^cannot reach S3 at 127\.0\.0\.1:4569 \(from\.s3\.t_archive\): ECONNREFUSED/);
    expect(describeS3Error(awsError('Unknown', 403), side())).toMatch(/refused the credentials of from\.s3\.t_archive \(HTTP 403\)/);
    expect(describeS3Error(awsError('InvalidAccessKeyId', 403), side())).toMatch(/\(InvalidAccessKeyId\)/);
    const other = describeS3Error(new Error('boom\nsecond line'), side(), 'p/k');
    expect(other).toBe('S3 request to bucket "b" key p/k at 127.0.0.1:4569 (from.s3.t_archive) failed: boom');
  });
});

describe('s3 kinds and bridges', () => {
  const params = (p: Record<string, unknown>) => parseParams(JSON.stringify(p), 1, [mappingParamsSchema, s3Plugin.paramsSchema!]);
  const mysql = getPlugin('mysql')!;
  const redis = getPlugin('redis')!;

  test('object mode unless params.format is ndjson or csv', () => {
    expect(s3Plugin.readsFor!(params({}))).toEqual(['object']);
    expect(s3Plugin.readsFor!(params({ format: 'csv' }))).toEqual(['row']);
    expect(() => checkBridge(s3Plugin, mysql, taskRow({ from_db_type: 's3', to_db_type: 'mysql' }), params({}))).toThrow(/reader gives object records, the writer takes row records/);
    expect(() => checkBridge(s3Plugin, mysql, taskRow({ from_db_type: 's3', to_db_type: 'mysql' }), params({ format: 'ndjson' }))).not.toThrow();
    expect(() => checkBridge(redis, s3Plugin, taskRow({ from_db_type: 'redis', to_db_type: 's3' }), params({}))).not.toThrow();
  });

  test('entry -> object -> entry through the envelope; an expired entry is skipped; a foreign object fails naming its key', () => {
    const now = Date.now();
    const entries: KvEntry[] = [
      { key: Buffer.from('user:1'), type: 'hash', value: [[Buffer.from('f'), Buffer.from([0xff])]], expireAt: now + 60_000 },
      { key: Buffer.from([0xff, 0x41]), type: 'string', value: Buffer.from('v'), expireAt: null },
      { key: Buffer.from('old'), type: 'string', value: Buffer.from('v'), expireAt: now - 1 },
    ];
    const toS3 = createBridge(redis, s3Plugin, pluginContext(redis, { connection: { host: '127.0.0.1', port: 6379 } }), pluginContext(s3Plugin, { connection: {} }))!;
    const out = toS3({ kind: 'entry', records: entries as unknown as SyncRecord[], bytes: 1 });
    expect(out.skipped).toBe(1);
    const objects = out.batch.records as unknown as ObjectRecord[];
    expect(objects.map((o) => o.key)).toEqual(['user:1', '~b64~_0E']);
    expect(JSON.parse(objects[0].body.toString())).toEqual({ v: 1, key: 'user:1', type: 'hash', value: [['f', { b64: '/w==' }]], expireAt: now + 60_000 });

    const back = createBridge(s3Plugin, redis, pluginContext(s3Plugin, { connection: {} }), pluginContext(redis, { connection: { host: '127.0.0.1', port: 6379 } }))!;
    const restored = back({ kind: 'object', records: out.batch.records, bytes: 1 });
    expect(restored.batch.records).toEqual(entries.slice(0, 2));
    expect(() => back({ kind: 'object', records: [{ key: 'p/x', body: Buffer.from('not json') }] as unknown as SyncRecord[], bytes: 1 })).toThrow(/object p\/x is not a goshift entry envelope/);
  });
});
