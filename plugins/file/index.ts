import type { Plugin } from '../../src/sdk';
import { checkFiles } from './check';
import { fileParamsSchema, isRdbFormat } from '../../src/sdk/formats';
import { fileConnectionSchema } from './config';
import { fileReadBack } from './read-back';
import { fileReader } from './reader';
import { fileWriter } from './writer';

/**
 * Local files: NDJSON or CSV rows, gzip optional (and Redis RDB files read as entries), below the base directory of a config entry.
 * Reads one shard per file matching a path or glob; writes one part per shard, moved into place
 * atomically. The simplest store, and the model plugin to copy.
 */
const filePlugin: Plugin = {
  type: 'file',
  connectionSchema: fileConnectionSchema,
  paramsSchema: fileParamsSchema,
  reads: ['row', 'entry'],
  // Redis RDB files (`format: "rdb"`) are read as entries, everything else as rows.
  readsFor: (params) => (isRdbFormat(params) ? ['entry'] : ['row']),
  writes: ['row'],
  appends: true,
  // Local disks fail for good (no space, no permission): nothing is worth a retry.
  isTransient: () => false,
  check: checkFiles,
  reader: fileReader,
  writer: fileWriter,
  readBack: fileReadBack,
};

export default filePlugin;
