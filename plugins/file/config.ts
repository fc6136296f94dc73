import type { PluginContext } from '../../src/sdk';
import { TaskError } from '../../src/sdk';

/** convict schema of a file connection entry (`from.file.<app>_<db>` / `to.file.<app>_<db>`). */
export const fileConnectionSchema = {
  dir: {
    doc: 'Base directory: every *_table path or glob is taken below it and may never leave it. Relative paths are taken from the working directory.',
    format: String,
    default: '',
  },
};

/** Validated file connection entry. */
export interface FileConnection {
  dir: string;
}

/** Config entry path of a side, for messages: `from.file.app_exports`. */
export function entryPath(ctx: PluginContext, side: 'from' | 'to'): string {
  return side === 'from' ? `from.file.${ctx.task.from_app}_${ctx.task.from_db}` : `to.file.${ctx.task.to_app}_${ctx.task.to_db}`;
}

/** Throw a TaskError when `params.write_mode` is set to anything a file target cannot do. */
export function checkWriteMode(ctx: PluginContext): void {
  const mode = ctx.params.write_mode;
  if (mode && mode !== 'replace') throw new TaskError(`task ${ctx.task.id}: params.write_mode must be "replace" for a file target (the file is written anew), got "${mode}"`);
}
