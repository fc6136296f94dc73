import type { Plugin } from '../../src/sdk';
import { checkS3 } from './check';
import { isS3Transient } from './client';
import { isRdbFormat } from '../../src/sdk/formats';
import { isFileMode, s3ConnectionSchema, s3ParamsSchema } from './config';
import { s3Reader } from './reader';
import { s3Writer } from './writer';

/**
 * Amazon S3 and S3-compatible servers. Object mode: one object per record (`object` records, and
 * key-value entries in the portable envelope), `*_table` a key prefix, shards by listing page.
 * File mode (`params.format` ndjson | csv, `gzip`): rows in part objects, with the file store's codecs.
 */
const s3Plugin: Plugin = {
  type: 's3',
  connectionSchema: s3ConnectionSchema,
  paramsSchema: s3ParamsSchema,
  reads: ['object', 'row', 'entry'],
  readsFor: (params) => (isRdbFormat(params) ? ['entry'] : isFileMode(params) ? ['row'] : ['object']),
  writes: ['object', 'row'],
  // File mode appends rows to part objects: a Redis key read twice would be in two parts.
  appends: (params) => isFileMode(params),
  isTransient: isS3Transient,
  check: checkS3,
  reader: s3Reader,
  writer: s3Writer,
};

export default s3Plugin;
