import type { CommonOptions } from '../cli-args';
import type { GoshiftConfig } from '../config/schema';
import { resolveConnection } from '../config/connections';
import type { PluginContext } from '../sdk';
import { didYouMean } from '../did-you-mean';
import { ConfigError, GoshiftError, UsageError } from '../errors';
import type { TaskRow } from '../meta/task-row';
import { parseParams } from '../params';
import { getPlugin, knownTypes } from '../registry';
import { setupCommand } from './setup';

/** Options of `goshift conn test`. */
export interface ConnCommandOptions extends CommonOptions {
  /** Entries as `from|to.<type>.<name>`; empty tests every entry of the config. */
  entries: string[];
}

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 15_000;

interface EntryRef {
  side: 'from' | 'to';
  type: string;
  name: string;
}

const path = (e: EntryRef): string => `${e.side}.${e.type}.${e.name}`;

/** Every connection entry of the config, sorted by path. */
function allEntries(config: GoshiftConfig): EntryRef[] {
  const out: EntryRef[] = [];
  for (const side of ['from', 'to'] as const) {
    for (const [type, entries] of Object.entries(config[side] ?? {})) {
      for (const name of Object.keys(entries ?? {})) out.push({ side, type, name });
    }
  }
  return out.sort((a, b) => path(a).localeCompare(path(b)));
}

/** `from.mysql.local_dw_blog` as an entry reference, checked against the config. */
function parseEntry(config: GoshiftConfig, text: string): EntryRef {
  const m = /^(from|to)\.([a-z][a-z0-9]*)\.(.+)$/i.exec(text.trim());
  if (!m) throw new UsageError(`conn test takes entries as from.<type>.<name> or to.<type>.<name>, got ${JSON.stringify(text)}`);
  const ref: EntryRef = { side: m[1].toLowerCase() as 'from' | 'to', type: m[2].toLowerCase(), name: m[3] };
  if (!config[ref.side]?.[ref.type]?.[ref.name]) {
    const known = allEntries(config).map(path);
    throw new ConfigError(`config ${config.source} has no entry ${path(ref)}${didYouMean(path(ref), known)}`);
  }
  return ref;
}

/**
 * The context a plugin's check gets: a stand-in task whose `<app>_<db>` is the entry name (split
 * at its last `_`, so a Redis entry `cache_0` uses db 0 as a run of `from_db` 0 would).
 */
function checkContext(config: GoshiftConfig, ref: EntryRef, signal: AbortSignal, logger: PluginContext['logger']): PluginContext {
  const plugin = getPlugin(ref.type)!;
  const cut = ref.name.lastIndexOf('_');
  const app = cut > 0 ? ref.name.slice(0, cut) : ref.name;
  const db = cut > 0 ? ref.name.slice(cut + 1) : '';
  const task: TaskRow = {
    id: 0, from_app: app, to_app: app, from_db_type: ref.type, to_db_type: ref.type, from_db: db, to_db: db, from_table: '', to_table: '',
    params: null, online_status: 1, task_desc: 'conn test', task_status: '1', owner: '', create_time: '', update_time: '',
  };
  const connection = resolveConnection(config, ref.side, plugin, app, db);
  const params = parseParams(null, 'conn test', [plugin.paramsSchema ?? {}]);
  return { task, params, connection, peerNative: false, readOnce: false, mode: 'init', shardsPerThread: 1, runState: {}, keys: [], logger, signal };
}

/** A plugin's one-line error without the stand-in task's id. */
function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/,? task 0\b/g, '').replace(/ \(\)/g, '');
}

/** Check one entry; resolves to the line to print and whether it answered. */
async function checkEntry(config: GoshiftConfig, ref: EntryRef, logger: PluginContext['logger']): Promise<{ ok: boolean; line: string; code: number }> {
  const plugin = getPlugin(ref.type);
  if (!plugin) return { ok: false, code: 5, line: `unknown store type "${ref.type}"${didYouMean(ref.type, knownTypes())} (known: ${knownTypes().join(', ')})` };
  if (!plugin.check) return { ok: false, code: 5, line: `store type "${ref.type}" has no connection check` };
  const abort = new AbortController();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const ctx = checkContext(config, ref, abort.signal, logger);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`));
      }, CHECK_TIMEOUT_MS);
    });
    const what = await Promise.race([plugin.check(ctx, ref.side), timeout]);
    return { ok: true, code: 0, line: `${what} (${Date.now() - started} ms)` };
  } catch (err) {
    return { ok: false, code: err instanceof GoshiftError ? err.exitCode : 6, line: message(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `goshift conn test -e <env> [from|to.<type>.<name> ...]`: connect with each entry (all of the
 * config's when none is named), print `ok` with what answered or `FAILED` with why, one line each.
 * Exit 0 when every entry answered, else the exit code of the first failure.
 */
export async function connCommand(opts: ConnCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const refs = opts.entries.length ? opts.entries.map((e) => parseEntry(config, e)) : allEntries(config);
  if (refs.length === 0) throw new ConfigError(`config ${config.source} has no connection entries under from or to`);
  const width = Math.max(...refs.map((r) => path(r).length));
  let exit = 0;
  for (const ref of refs) {
    const result = await checkEntry(config, ref, logger);
    process.stdout.write(`${result.ok ? 'ok    ' : 'FAILED'}  ${path(ref).padEnd(width)}  ${result.line}\n`);
    if (!result.ok && exit === 0) exit = result.code;
  }
  return exit;
}
