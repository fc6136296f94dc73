import type { Plugin } from '../../src/sdk';
import { checkDynamodb } from './check';
import { dynamodbConnectionSchema, dynamodbParamsSchema, isDynamodbTransient } from './config';
import { dynamodbReadBack } from './read-back';
import { dynamodbReader } from './reader';
import { dynamodbWriter } from './writer';

/**
 * Amazon DynamoDB (and DynamoDB Local): reads a table in parallel-scan segments, one shard per
 * segment, and writes with BatchWriteItem. Items are rows with numbers kept as exact text; a
 * key-value entry is stored as its portable envelope in an item keyed by the entry's key, and read
 * back as an entry. Between two DynamoDB tables items travel untouched (native format `dynamodb`).
 * `-mode stream` scans the table, then follows its DynamoDB stream, shard by shard.
 * See the "dynamodb" section of README.md.
 */
const dynamodb: Plugin = {
  type: 'dynamodb',
  connectionSchema: dynamodbConnectionSchema,
  paramsSchema: dynamodbParamsSchema,
  reads: ['row', 'entry'],
  writes: ['row', 'entry'],
  nativeFormat: 'dynamodb',
  isTransient: isDynamodbTransient,
  check: checkDynamodb,
  // -mode stream: a change feed after the catch-up.
  streams: true,
  reader: dynamodbReader,
  writer: dynamodbWriter,
  readBack: dynamodbReadBack,
};

export default dynamodb;
