import fs from 'node:fs';
import type { PluginContext } from '../../src/sdk';
import { baseDir } from './paths';

/** `goshift conn test` for a file entry: the base directory exists, and can be read (and written, for a target). */
export async function checkFiles(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const dir = await baseDir(ctx, side);
  const mode = side === 'from' ? fs.constants.R_OK : fs.constants.R_OK | fs.constants.W_OK;
  try {
    await fs.promises.access(dir, mode);
  } catch {
    throw new Error(`base directory ${dir} is not ${side === 'from' ? 'readable' : 'readable and writable'} by this user`);
  }
  return `directory ${dir} (${side === 'from' ? 'readable' : 'readable and writable'})`;
}
