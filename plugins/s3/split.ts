import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { PluginContext, Shard } from '../../src/sdk';
import { ReadError } from '../../src/sdk';
import { describeS3Error, s3Client } from './client';
import { folderPrefix, isFileMode, S3Side, sideOf } from './config';

/** Keys per listing page (the S3 maximum). */
export const LIST_PAGE = 1000;

/**
 * Listing pages `plan` walks at most: a bigger prefix ends in one open shard that pages on from
 * there while it runs, so a huge bucket is never listed up front. Default is 64 (64,000 keys).
 */
export const MAX_PLAN_PAGES = 64;

/**
 * Spec of an object-mode shard: the keys of `prefix` strictly after `after` (null: from the
 * first) up to and including `until` (null: to the end of the prefix).
 */
export interface ObjectShardSpec {
  [key: string]: unknown;
  mode: 'object';
  prefix: string;
  after: string | null;
  until: string | null;
}

/** Spec of a file-mode shard: one object holding NDJSON or CSV rows, as it was when planned. */
export interface FileObjectShardSpec {
  [key: string]: unknown;
  mode: 'file';
  key: string;
  size: number;
  etag: string;
}

/** Fail with one clear line when the bucket is missing, the endpoint unreachable or the keys refused. */
export async function checkBucket(client: S3Client, side: S3Side): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: side.bucket }));
  } catch (err) {
    throw new ReadError(describeS3Error(err, side), { cause: err });
  }
}

/**
 * Object mode: one shard per listing page of 1,000 keys (its bounds are the keys listed, so the
 * shards never overlap and cover every key), at most {@link MAX_PLAN_PAGES} of them and then one
 * open shard for the rest. File mode: one shard per object below the `*_table/` folder.
 */
export async function planS3(ctx: PluginContext): Promise<Shard[]> {
  const side = sideOf(ctx, 'from');
  const client = s3Client(side);
  try {
    await checkBucket(client, side);
    return isFileMode(ctx.params) ? await planFiles(client, side) : await planPages(client, side);
  } catch (err) {
    if (err instanceof ReadError) throw err;
    throw new ReadError(describeS3Error(err, side), { cause: err });
  } finally {
    client.destroy();
  }
}

async function planPages(client: S3Client, side: S3Side): Promise<Shard[]> {
  const shards: Shard[] = [];
  let after: string | null = null;
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PLAN_PAGES) {
      const spec: ObjectShardSpec = { mode: 'object', prefix: side.prefix, after, until: null };
      shards.push({ id: `p${page}`, label: `${side.prefix}* after ${after} to the end`, spec });
      return shards;
    }
    const res = await client.send(new ListObjectsV2Command({ Bucket: side.bucket, Prefix: side.prefix || undefined, MaxKeys: LIST_PAGE, ContinuationToken: token }));
    const keys = (res.Contents ?? []).map((o) => o.Key!).filter((k) => k !== undefined);
    if (keys.length) {
      const until = keys[keys.length - 1];
      const spec: ObjectShardSpec = { mode: 'object', prefix: side.prefix, after, until };
      shards.push({ id: `p${page}`, label: `${keys.length} keys ${keys[0]} .. ${until}`, estimatedRows: keys.length, spec });
      after = until;
    }
    if (!res.IsTruncated || !res.NextContinuationToken) return shards;
    token = res.NextContinuationToken;
  }
}

async function planFiles(client: S3Client, side: S3Side): Promise<Shard[]> {
  const shards: Shard[] = [];
  const prefix = folderPrefix(side.prefix);
  let token: string | undefined;
  do {
    const res = await client.send(new ListObjectsV2Command({ Bucket: side.bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const o of res.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      const spec: FileObjectShardSpec = { mode: 'file', key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' };
      shards.push({ id: `f${shards.length}`, label: o.Key, spec });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return shards;
}
