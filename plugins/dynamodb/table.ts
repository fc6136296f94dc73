import { DescribeTableCommand, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import type { PluginContext } from '../../src/sdk';
import { describeFailure } from './config';
import type { KeySchema } from './values';

/**
 * DescribeTable: the table's key attributes (partition key first) and item estimate.
 * @throws Error with one line (missing table, unreachable endpoint, bad credentials) from `fail`
 */
export async function describeTable(client: DynamoDBClient, ctx: PluginContext, side: 'from' | 'to', table: string, fail: (message: string, cause: unknown) => Error): Promise<{ keys: KeySchema; itemCount?: number }> {
  if (!table) throw fail(`${side}_table must name a DynamoDB table (task ${ctx.task.id})`, undefined);
  let desc: TableDescription | undefined;
  try {
    desc = (await client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: ctx.signal })).Table;
  } catch (err) {
    throw fail(describeFailure(err, ctx, side, table), err);
  }
  const types = new Map((desc?.AttributeDefinitions ?? []).map((d) => [d.AttributeName!, d.AttributeType as 'S' | 'N' | 'B']));
  const schema = [...(desc?.KeySchema ?? [])].sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0));
  const keys: KeySchema = schema.map((k) => ({ name: k.AttributeName!, type: types.get(k.AttributeName!) ?? 'S' }));
  return { keys, itemCount: desc?.ItemCount };
}
