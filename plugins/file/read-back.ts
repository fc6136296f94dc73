import type { ReadBack } from '../../src/sdk';

/**
 * Reading a file target back (`goshift verify` across stores): a directory target `out/` is read
 * through its parts `out/part-*`; a single file is one whole unit a repair may write anew.
 */
export const fileReadBack: ReadBack = {
  table: (toTable) => (toTable.endsWith('/') ? `${toTable}part-*` : toTable),
  rewritable: (toTable) => !toTable.endsWith('/'),
};
