import fs from 'node:fs';
import path from 'node:path';
import type { PluginContext } from '../../src/sdk';
import { ReadError, TaskError, WriteError } from '../../src/sdk';
import { entryPath, FileConnection } from './config';

/**
 * The base directory of a side's config entry, resolved and checked to exist.
 * @throws ReadError / WriteError naming the config entry when `dir` is unset, missing or not a directory
 */
export async function baseDir(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const Cls = side === 'from' ? ReadError : WriteError;
  const entry = entryPath(ctx, side);
  const dir = (ctx.connection as unknown as FileConnection).dir;
  if (!dir) throw new Cls(`${entry}: "dir" (the base directory) is not set (task ${ctx.task.id})`);
  const resolved = path.resolve(dir);
  const stat = await fs.promises.stat(resolved).catch(() => undefined);
  if (!stat) throw new Cls(`base directory ${resolved} of ${entry} does not exist (task ${ctx.task.id})`);
  if (!stat.isDirectory()) throw new Cls(`base directory ${resolved} of ${entry} is not a directory (task ${ctx.task.id})`);
  return fs.promises.realpath(resolved);
}

/**
 * Check a path or glob from the task row: relative, no `..` segment, no NUL. It is always taken
 * below the base directory, so a task can never reach outside it.
 * @param key `from_table` or `to_table`, for the message
 * @throws TaskError naming the task and the key
 */
export function checkRelative(ctx: PluginContext, key: 'from_table' | 'to_table', value: string): string {
  const bad = (why: string) => new TaskError(`task ${ctx.task.id}: ${key} ${JSON.stringify(value)} ${why}; it must be a relative path below the base directory of ${entryPath(ctx, key === 'from_table' ? 'from' : 'to')}`);
  if (typeof value !== 'string' || value.trim() === '') throw bad('is empty');
  if (value.includes('\0')) throw bad('contains a NUL byte');
  if (path.isAbsolute(value) || /^[a-zA-Z]:/.test(value) || value.startsWith('\\')) throw bad('is absolute');
  if (value.split(/[/\\]/).includes('..')) throw bad('contains ".."');
  return value.replace(/\\/g, '/');
}

/** `target` resolved below `base`; throws when a symlink on the way leads outside it. */
export async function insideBase(base: string, rel: string, what: string): Promise<string> {
  const full = path.join(base, rel);
  const real = await fs.promises.realpath(full).catch(() => undefined);
  if (real && real !== base && !real.startsWith(base + path.sep)) throw new TaskError(`${what} ${rel} leads outside the base directory ${base} (symbolic link to ${real})`);
  return full;
}

/** Whether a pattern segment uses glob syntax (`*`, `?`, `[...]`, `{a,b}`). */
export function isGlob(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

/** A regular expression for one glob segment: `*`, `?`, `[abc]`, `{a,b}`; dotfiles only when the segment starts with a dot. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  const dot = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${dot}${re}$`);
}

/**
 * Files below `base` matching `pattern` (relative, `/`-separated; `**` matches any depth), sorted.
 * A pattern naming a directory matches every file below it. Hidden files (goshift's own temp parts
 * and journals among them) match only a segment that starts with a dot. Symbolic links to
 * directories are not followed by `**`.
 */
export async function matchFiles(base: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const out: string[] = [];
  const walk = async (rel: string, i: number): Promise<void> => {
    const full = path.join(base, rel);
    if (i === segments.length) {
      const stat = await fs.promises.stat(full).catch(() => undefined);
      if (stat?.isFile()) out.push(rel);
      else if (stat?.isDirectory() && !segments.some(isGlob)) await walk(rel, -1);
      return;
    }
    const entries = await fs.promises.readdir(full, { withFileTypes: true }).catch(() => []);
    if (i === -1) {
      // Everything below a directory named literally.
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(child, -1);
        else if (e.isFile()) out.push(child);
      }
      return;
    }
    const seg = segments[i];
    if (seg === '**') {
      await walk(rel, i + 1);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(rel ? `${rel}/${e.name}` : e.name, i);
      return;
    }
    if (!isGlob(seg)) {
      await walk(rel ? `${rel}/${seg}` : seg, i + 1);
      return;
    }
    const re = segmentRegExp(seg);
    const last = i === segments.length - 1;
    for (const e of entries) {
      if (!re.test(e.name)) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (last ? e.isFile() || e.isSymbolicLink() : e.isDirectory()) await walk(child, i + 1);
    }
  };
  await walk('', 0);
  return [...new Set(out)].sort();
}
