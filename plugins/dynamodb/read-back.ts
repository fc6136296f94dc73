import type { ReadBack } from '../../src/sdk';

/** Reading a DynamoDB target back (`goshift verify` across stores): the scan filter narrows only a source. */
export const dynamodbReadBack: ReadBack = {
  sourceFilters: { filter_expression: '', filter_names: {}, filter_values: {} },
};
