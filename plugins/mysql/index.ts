import type { Plugin } from '../../src/contract';
import { mysqlConnectionSchema, mysqlParamsSchema } from './config';
import { mysqlDirectCopy } from './direct';
import { mysqlReader } from './reader';
import { mysqlWriter } from './writer';

/**
 * MySQL / MariaDB: reads by primary-key ranges with keyset paging, writes multi-row statements or
 * LOAD DATA, and copies shard by shard with INSERT ... SELECT when both sides share a server.
 */
const mysqlPlugin: Plugin = {
  type: 'mysql',
  connectionSchema: mysqlConnectionSchema,
  paramsSchema: mysqlParamsSchema,
  reader: mysqlReader,
  writer: mysqlWriter,
  direct: mysqlDirectCopy,
};

export default mysqlPlugin;
