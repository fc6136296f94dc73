import type { CommonOptions } from '../cli-args';
import { openMetaDb } from '../meta/meta-db';
import { migrate } from '../meta/migrate';
import { setupCommand } from './setup';

/** `goshift init-db`: create the metadata schema if needed and apply pending `sql/NNNN_*.sql` files. */
export async function initDbCommand(opts: CommonOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config, true);
  try {
    const applied = await migrate(meta);
    logger.info(applied.length ? `metadata schema ${config.task_meta.db}: applied ${applied.join(', ')}` : `metadata schema ${config.task_meta.db} is up to date`);
    return 0;
  } finally {
    await meta.end();
  }
}
