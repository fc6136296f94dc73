import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { PluginContext } from '../../src/sdk';
import { ReadError } from '../../src/sdk';
import { createClient, describeFailure, endpointHost } from './config';

/** `goshift conn test` for a dynamodb entry: list one table with these credentials. */
export async function checkDynamodb(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const client = createClient(ctx);
  try {
    const out = await client.send(new ListTablesCommand({ Limit: 100 }));
    const n = out.TableNames?.length ?? 0;
    return `DynamoDB at ${endpointHost(ctx)} answers (${n}${out.LastEvaluatedTableName ? '+' : ''} table${n === 1 ? '' : 's'} listed)`;
  } catch (err) {
    throw new ReadError(describeFailure(err, ctx, side, '(any)'), { cause: err });
  } finally {
    client.destroy();
  }
}
