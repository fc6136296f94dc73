import type { Plugin } from '../../src/sdk';
import { checkMysql } from './check';
import { mysqlConnectionSchema, mysqlParamsSchema } from './config';
import { withConnectionShare } from './connection-share';
import { createTargetTable, describeSource } from './create-target';
import { mysqlDirectCopy } from './direct';
import { isMysqlTransient } from './transient';
import { mysqlReader } from './reader';
import { mysqlVerify } from './verify';
import { mysqlWriter } from './writer';

/**
 * MySQL / MariaDB: reads by primary-key ranges with keyset paging, writes multi-row statements or
 * LOAD DATA, and copies shard by shard with INSERT ... SELECT when both sides share a server.
 */
const mysqlPlugin: Plugin = {
  type: 'mysql',
  connectionSchema: mysqlConnectionSchema,
  paramsSchema: mysqlParamsSchema,
  reads: ['row'],
  writes: ['row'],
  // Rows as mysql2 returns them (text and Buffers) are what a mysql writer takes unchanged.
  nativeFormat: 'mysql',
  // `insert` fails on a row written twice (a Redis key read at a segment boundary would be).
  appends: (params) => params.write_mode === 'insert',
  isTransient: isMysqlTransient,
  check: checkMysql,
  // -mode stream: a snapshot, then the binlog from a position pinned before it (docs/mysql-stream.md).
  streams: true,
  // A task never takes more than half of a server's max_connections (checked before anything runs).
  reader: { ...withConnectionShare(mysqlReader, 'from'), describe: describeSource },
  writer: { ...withConnectionShare(mysqlWriter, 'to'), createTarget: createTargetTable },
  direct: mysqlDirectCopy,
  // `goshift verify`: range checksums in both servers, split down to the differing keys.
  verify: mysqlVerify,
};

export default mysqlPlugin;
