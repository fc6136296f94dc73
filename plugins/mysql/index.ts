import type { Plugin } from '../../src/contract';
import { mysqlConnectionSchema, mysqlParamsSchema } from './config';
import { mysqlReader } from './reader';
import { mysqlWriter } from './writer';

/** MySQL / MariaDB: reads by primary-key ranges with keyset paging, writes multi-row statements. */
const mysqlPlugin: Plugin = {
  type: 'mysql',
  connectionSchema: mysqlConnectionSchema,
  paramsSchema: mysqlParamsSchema,
  reader: mysqlReader,
  writer: mysqlWriter,
};

export default mysqlPlugin;
