import path from 'node:path';
import type { PluginContext } from '../../src/sdk';
import { encodingFor, extensionOf, FileEncoding } from '../../src/sdk/formats';
import type { PartPaths } from './part';
import { baseDir, checkRelative, insideBase } from './paths';

/**
 * Where a task writes. A `to_table` ending in `/` is a directory: each shard becomes one file
 * `part-<shard><ext>` in it. Any other `to_table` names one file: each shard is written to a
 * hidden part next to it, and after the last shard the parts are joined, in shard order, into
 * that file.
 */
export interface TargetLayout {
  /** Absolute directory the files go to. */
  dir: string;
  /** The target file's name; empty in directory mode. */
  name: string;
  enc: FileEncoding;
}

/** The layout of the task's target, checked to stay below the base directory. */
export async function targetLayout(ctx: PluginContext): Promise<TargetLayout> {
  const rel = checkRelative(ctx, 'to_table', ctx.task.to_table);
  const base = await baseDir(ctx, 'to');
  const dirMode = rel.endsWith('/');
  const trimmed = rel.replace(/\/+$/, '');
  const full = await insideBase(base, trimmed, `task ${ctx.task.id}: to_table`);
  if (dirMode) return { dir: full, name: '', enc: encodingFor(ctx, '') };
  return { dir: path.dirname(full), name: path.basename(full), enc: encodingFor(ctx, trimmed) };
}

/** A shard id safe inside a file name. */
export function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Temp part, journal and finished place of one shard's output. */
export function partPaths(layout: TargetLayout, shardId: string): PartPaths {
  const id = safeId(shardId);
  if (!layout.name) {
    const ext = extensionOf(layout.enc);
    const hidden = path.join(layout.dir, `.part-${id}${ext}`);
    return { tmp: `${hidden}.tmp`, journal: `${hidden}.journal`, done: path.join(layout.dir, `part-${id}${ext}`) };
  }
  const prefix = path.join(layout.dir, `.${layout.name}.part-${id}`);
  return { tmp: `${prefix}.tmp`, journal: `${prefix}.journal`, done: prefix };
}
