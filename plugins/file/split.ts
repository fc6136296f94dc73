import fs from 'node:fs';
import type { PluginContext, Shard } from '../../src/sdk';
import { ReadError } from '../../src/sdk';
import { entryPath } from './config';
import { baseDir, checkRelative, insideBase, isGlob, matchFiles } from './paths';

/**
 * Spec of a file shard: the file (relative to the base directory) and its size and modification
 * time when planned. Size and time are part of the fingerprint, so a saved position is only used
 * again on the very same file: a file that changed is read from its start.
 */
export interface FileShardSpec {
  [key: string]: unknown;
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * One shard per file matching `from_table` below the base directory (a path, a directory, or a
 * glob such as `exports/2024-*.csv.gz` / `**\/*.ndjson`). A glob matching nothing gives no shard
 * (a successful, empty run); a path that names nothing fails.
 * @throws ReadError naming the config entry (missing base dir, missing file), TaskError for a path leaving the base dir
 */
export async function planFiles(ctx: PluginContext): Promise<Shard[]> {
  const pattern = checkRelative(ctx, 'from_table', ctx.task.from_table);
  const base = await baseDir(ctx, 'from');
  const files = await matchFiles(base, pattern);
  if (files.length === 0 && !pattern.split('/').some(isGlob)) {
    throw new ReadError(`source file ${pattern} does not exist below ${base} (${entryPath(ctx, 'from')}, task ${ctx.task.id})`);
  }
  const shards: Shard[] = [];
  for (const [i, rel] of files.entries()) {
    const full = await insideBase(base, rel, `task ${ctx.task.id}: source file`);
    const stat = await fs.promises.stat(full);
    const spec: FileShardSpec = { path: rel, size: stat.size, mtimeMs: stat.mtimeMs };
    shards.push({ id: `f${i}`, label: rel, spec });
  }
  return shards;
}
