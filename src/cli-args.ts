import os from 'node:os';
import yargs from 'yargs';
import { UsageError } from './errors';
import { allPlugins, knownTypes } from './registry';
import { verifySupport } from './verify/support';
import { runModes, type RunMode } from './runtime/job-spec';
import { didYouMean } from './did-you-mean';

/** Subcommands, and the names goshift's `-cmd` may use for them. */
const commandAliases: Record<string, CommandName> = {
  run: 'run', sync: 'run', plan: 'plan', 'dry-run': 'plan', tasks: 'tasks', list: 'tasks', 'init-db': 'init-db', initdb: 'init-db', task: 'task', conn: 'conn', verify: 'verify', dirty: 'dirty', serve: 'serve', scheduler: 'scheduler', worker: 'worker',
};

/** A goshift subcommand. */
export type CommandName = 'run' | 'plan' | 'tasks' | 'init-db' | 'task' | 'conn' | 'verify' | 'dirty' | 'serve' | 'scheduler' | 'worker';

/** What `goshift task <action>` does. */
export const taskActions = ['add', 'show', 'edit', 'enable', 'disable', 'rm', 'export', 'import'] as const;

/** One of {@link taskActions}. */
export type TaskAction = (typeof taskActions)[number];

/** Task columns `task add` / `task edit` set: each flag, and the column it fills. */
export const taskFieldFlags = {
  'from-type': 'from_db_type', 'from-app': 'from_app', 'from-db': 'from_db', 'from-table': 'from_table',
  'to-type': 'to_db_type', 'to-app': 'to_app', 'to-db': 'to_db', 'to-table': 'to_table',
  params: 'params', desc: 'task_desc', owner: 'owner',
} as const;

/** Column values given on the command line (strings as typed; online_status 0 or 1). */
export type TaskFieldValues = Partial<Record<(typeof taskFieldFlags)[keyof typeof taskFieldFlags], string>> & { online_status?: number };

/** Options of `goshift task <action>`. */
export interface TaskCommandOptions extends CommonOptions {
  action: TaskAction;
  /** Task ids: one for show/edit/enable/disable/rm, any number for export (none = every task). */
  ids: number[];
  /** import: the file or directory to read. */
  path?: string;
  /** add/edit: column values from flags (they win over `file`). */
  fields: TaskFieldValues;
  /** add/edit: a JSON file holding one task (column names as keys). */
  file?: string;
  /** show: print the row as JSON. */
  json: boolean;
  /** rm: confirm the deletion. */
  yes: boolean;
  /** export: a directory (one file per task) or a `.json` file (one list); default stdout. */
  out?: string;
}

/** Options shared by every subcommand. */
export interface CommonOptions {
  /** Environment: reads `<config-dir>/<env>.json`. Default is `local`. */
  env: string;
  /** Config directory (`-c`). Default: `./etc`, then the packaged `etc/`. */
  configDir?: string;
  /** Honour goshift's bare env-name form in config values. Default is true. */
  usedEnv: boolean;
  /** Log level override. */
  logLevel?: string;
}

/** Options of `run` and `plan`. */
export interface TaskOptions extends CommonOptions {
  id: number;
  mode: RunMode;
  force: boolean;
  /** Resume an interrupted copy (the default; kept as an explicit spelling). */
  resume: boolean;
  /** Forget an interrupted copy's positions and copy everything. */
  restart: boolean;
  /**
   * Copy only these keys (`--key`, repeatable), through the same task. Empty = everything.
   * Such a run neither resumes an interrupted copy nor saves or clears positions.
   * @example ['user:42', 'user:43']
   */
  keys: string[];
  /** Run the shards on the queue's `goshift worker`s (`--distributed`). Default false (or `params.distributed`). */
  distributed?: boolean;
}

/** Options of `goshift worker`. */
export interface WorkerCommandOptions extends CommonOptions {
  /** Shard jobs this worker runs at once. Default is the number of cores. */
  concurrency: number;
}

/** Options of `goshift verify`. */
export interface VerifyCommandOptions extends CommonOptions {
  id: number;
  /** Verify an offline task too. */
  force: boolean;
  /** Print the report as JSON. */
  json: boolean;
  /** Re-copy the missing and different keys, then check them again. */
  repair: boolean;
  /** With `repair`: delete the target rows the source does not have. */
  deleteExtra: boolean;
  /** Differing keys listed in the table output. Default is 10. */
  show: number;
  /** redis: largest TTL difference in seconds that still counts as equal. Default is 1. */
  ttlTolerance: number;
}

/** Options of `goshift dirty`. */
export interface DirtyCommandOptions extends CommonOptions {
  id: number;
  /** The run to list; default: the task's latest run with dirty records. */
  run?: number;
  /** Records listed. Default is 20. */
  limit: number;
  /** Print the records as JSON. */
  json: boolean;
}

/** Options of `goshift serve`. */
export interface ServeCommandOptions extends CommonOptions {
  /** Address to bind; default `serve.host` of the config (127.0.0.1). */
  host?: string;
  /** Port; default `serve.port` of the config (7700); 0 = a free port. */
  port?: number;
  /** Run the scheduler in the server. Default is true (`--no-scheduler` turns it off). */
  scheduler: boolean;
}

/** The parsed command line. */
export type ParsedCommand =
  | { command: 'run' | 'plan'; options: TaskOptions }
  | { command: 'tasks' | 'init-db' | 'scheduler'; options: CommonOptions }
  | { command: 'serve'; options: ServeCommandOptions }
  | { command: 'task'; options: TaskCommandOptions }
  | { command: 'verify'; options: VerifyCommandOptions }
  | { command: 'dirty'; options: DirtyCommandOptions }
  | { command: 'worker'; options: WorkerCommandOptions }
  | { command: 'conn'; options: CommonOptions & { entries: string[] } };

/** goshift's single-dash long flags, rewritten to `--name` before yargs sees them. */
const goshiftFlags = ['id', 'cmd', 'mode', 'UsedEnv', 'env', 'force', 'resume', 'restart'];

/**
 * Rewrite goshift's literal flags (`-id 5`, `-cmd sync`, `-mode init`, `-UsedEnv=false`) to their
 * `--long` forms (by default yargs would read `-id` as `-i -d`), and turn `-cmd <name>` into the
 * subcommand when none is given.
 */
export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let cmd: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^-([A-Za-z][A-Za-z-]+)(=.*)?$/.exec(arg);
    const flag = m && goshiftFlags.find((f) => f.toLowerCase() === m[1].toLowerCase());
    const rewritten = flag ? `--${flag}${m![2] ?? ''}` : arg;
    if (/^--cmd(=|$)/.test(rewritten)) {
      cmd = rewritten.includes('=') ? rewritten.slice('--cmd='.length) : argv[++i];
      if (cmd === undefined) throw new UsageError('-cmd needs a value: run, plan, verify, dirty, tasks or init-db');
      continue;
    }
    out.push(rewritten);
  }
  if (cmd !== undefined) {
    const command = commandAliases[cmd.toLowerCase()];
    if (!command) throw new UsageError(`unknown -cmd "${cmd}"${didYouMean(cmd, Object.keys(commandAliases))} (use ${Object.keys(commandAliases).join(', ')})`);
    const firstPositional = out.findIndex((a, i) => !a.startsWith('-') && (i === 0 || !out[i - 1].startsWith('-') || out[i - 1].includes('=')));
    if (firstPositional === -1 || !commandAliases[out[firstPositional]]) out.unshift(command);
  }
  return out;
}

/**
 * What verify accepts, for the help text (see src/verify/support.ts). Loading every plugin costs
 * about a second, so it is done only when help is asked for; other runs never print the text.
 */
function verifyHelp(argv: string[]): string {
  const help = argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === 'help');
  return help ? verifySupport(allPlugins()) : 'see goshift --help';
}

/** The yargs definition: flags and subcommands with their help text. */
export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('goshift')
    .usage(`$0 [command] -e <env> -id <task id> [options]\n\nCopies data between stores (${knownTypes().join(', ')}) as described by a row of task_def_sync_manager.`)
    .command(['run', '$0'], 'run a task (default command; goshift: -cmd sync)')
    .command('plan', 'dry run: print the resolved task, masked connections and the shard list; writes nothing')
    .command('tasks', 'list task rows with their status and last run')
    .command('init-db', 'create or migrate the metadata tables in task_meta.db')
    .command('task <action> [args..]', `manage task rows without SQL: ${taskActions.join(', ')}`, (y) =>
      y.positional('action', { type: 'string', describe: taskActions.join(', ') })
        .positional('args', { type: 'string', array: true, describe: 'task id(s), or the file/directory of import' })
        .option('from-type', { alias: 'from-db-type', type: 'string', describe: 'task add/edit: source store type (from_db_type)' })
        .option('from-app', { type: 'string', describe: 'task add/edit: source business system (from_app)' })
        .option('from-db', { type: 'string', describe: 'task add/edit: source database (from_db); the config entry is from.<type>.<app>_<db>' })
        .option('from-table', { type: 'string', describe: 'task add/edit: source table, key pattern or prefix (from_table)' })
        .option('to-type', { alias: 'to-db-type', type: 'string', describe: 'task add/edit: target store type (to_db_type)' })
        .option('to-app', { type: 'string', describe: 'task add/edit: target business system (to_app)' })
        .option('to-db', { type: 'string', describe: 'task add/edit: target database (to_db); the config entry is to.<type>.<app>_<db>' })
        .option('to-table', { type: 'string', describe: 'task add/edit: target table, key pattern or prefix (to_table)' })
        .option('params', { type: 'string', describe: 'task add/edit: params as JSON text' })
        .option('desc', { type: 'string', describe: 'task add/edit: description (task_desc)' })
        .option('owner', { type: 'string', describe: 'task add/edit: owner' })
        .option('online-status', { type: 'number', choices: [0, 1], describe: 'task add/edit: 1 online (default for add), 0 offline' })
        .option('file', { type: 'string', describe: 'task add/edit: read the task from a JSON file (column names as keys); flags win' })
        .option('json', { type: 'boolean', default: false, describe: 'task show: print the row as JSON' })
        .option('yes', { type: 'boolean', default: false, describe: 'task rm: confirm the deletion' })
        .option('out', { type: 'string', describe: 'task export: a directory (one task-<id>.json per task) or a .json file; default stdout' }))
    .command('verify', `compare the target of a task with its source (${verifyHelp(argv)}); exit 9 when they differ`, (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'verify: print the report as JSON' })
        .option('repair', { type: 'boolean', default: false, describe: 'verify: re-copy the missing and different keys from the source, then check them again' })
        .option('delete-extra', { type: 'boolean', default: false, describe: 'verify --repair: also delete target rows the source does not have' })
        .option('show', { type: 'number', default: 10, describe: 'verify: differing keys listed (default 10)' })
        .option('ttl-tolerance', { type: 'number', default: 1, describe: 'verify redis: largest TTL difference in seconds that still counts as equal (default 1)' }))
    .command('dirty', 'list the records a run skipped because the target refused them (params.error_limit): key, reason, record', (y) =>
      y.option('run', { type: 'number', describe: 'dirty: the run to list (default: the task\'s latest run with dirty records)' })
        .option('limit', { type: 'number', default: 20, describe: 'dirty: records listed (default 20)' })
        .option('json', { type: 'boolean', default: false, describe: 'dirty: print the records as JSON' }))
    .command('serve', 'HTTP server on 127.0.0.1: status page, JSON API (tasks, runs, start/stop, progress), /metrics, /healthz, and the scheduler', (y) =>
      y.option('port', { type: 'number', describe: 'serve: TCP port (default serve.port, 7700; 0 = a free one)' })
        .option('host', { type: 'string', describe: 'serve: address to bind (default serve.host, 127.0.0.1)' })
        .option('scheduler', { type: 'boolean', default: true, describe: 'serve: run the scheduler of params.schedule too (--no-scheduler: only the page and API)' }))
    .command('scheduler', 'start the runs of tasks whose params.schedule (cron) is due, never two of one task at once; no HTTP server')
    .command('worker', 'scale-out: take shard jobs from the queue of the config\'s "queue" section and run them here (see --distributed)', (y) =>
      y.option('concurrency', { type: 'number', describe: 'worker: shard jobs run at once (default: the number of cores)' }))
    .option('env', { alias: 'e', type: 'string', default: 'local', describe: 'environment: reads <config-dir>/<env>.json' })
    .command('conn <action> [entries..]', 'conn test: connect with config entries (from|to.<type>.<name>; all when none is named) and say what answered', (y) =>
      y.positional('action', { type: 'string', describe: 'test' })
        .positional('entries', { type: 'string', array: true, describe: 'entries such as from.mysql.local_dw_blog' }))
    .option('id', { type: 'number', describe: 'task id (row of task_def_sync_manager); goshift form -id 5' })
    .option('config-dir', { alias: 'c', type: 'string', describe: 'config directory (default ./etc, then the packaged etc/)' })
    .option('mode', { type: 'string', default: 'init', choices: [...runModes], describe: 'init: full copy; incr: only rows changed since the last successful run (params.diff_column); stream: catch up, then follow changes until stopped' })
    .option('cmd', { type: 'string', describe: 'goshift form of the subcommand: sync|run, plan, verify, dirty, tasks, init-db' })
    .option('UsedEnv', { alias: 'used-env', type: 'boolean', default: true, describe: 'treat a config value that names a set environment variable as that variable (goshift); -UsedEnv=false to turn off' })
    .option('force', { type: 'boolean', default: false, describe: 'run a task even when it is offline (online_status=0)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted copy (the default): finished shards are skipped, the others continue after their saved position' })
    .option('restart', { type: 'boolean', default: false, describe: 'forget the saved positions of an interrupted copy and copy everything again' })
    .option('distributed', { type: 'boolean', default: false, describe: 'run the shards on goshift workers through the queue of the config\'s "queue" section (also params.distributed)' })
    .option('key', { type: 'string', array: true, describe: 'copy only this key (repeatable): persist or restore one key or a few through the same task; leaves resume positions alone' })
    .option('log-level', { type: 'string', choices: ['error', 'warn', 'info', 'debug'], describe: 'override log.level of the config' })
    .example('$0 -e prod -id 5', 'run task 5 with etc/prod.json')
    .example('$0 -c ./etc -e local -id 5 -mode init -cmd sync', "goshift's full form")
    .example('$0 plan -e local -id 5', 'show the shards task 5 would copy')
    .example('$0 verify -e prod -id 5 --repair', 'compare task 5\'s target with its source and re-copy what differs')
    .example('$0 dirty -e prod -id 5', 'list the records task 5\'s latest run skipped as dirty')
    .example('$0 serve -e prod', 'status page, API and /metrics on http://127.0.0.1:7700, with the scheduler')
    .example('$0 -e prod -id 8 --key user:42', 'persist or restore just the key user:42 with task 8')
    .strictOptions()
    .strictCommands()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false);
}

/**
 * Parse a command line (without the node and script entries) into the command to run.
 * @throws UsageError for a missing or malformed option
 * @example parseCommandLine(['-e', 'prod', '-id', '5']) // { command: 'run', options: { env: 'prod', id: 5, ... } }
 */
export function parseCommandLine(argv: string[]): ParsedCommand {
  let failure: string | undefined;
  const parsed = buildParser(normalizeArgv(argv))
    .fail((msg, err) => {
      failure = (msg ?? err?.message ?? 'invalid command line').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    })
    .parseSync();
  if (failure) throw new UsageError(failure);
  const name = commandAliases[String(parsed._[0] ?? 'run')];
  if (!name) throw new UsageError(`unknown command "${parsed._[0]}"${didYouMean(String(parsed._[0]), Object.keys(commandAliases))} (see goshift --help)`);
  const common: CommonOptions = {
    env: parsed.env,
    configDir: parsed['config-dir'],
    usedEnv: parsed.UsedEnv,
    logLevel: parsed['log-level'],
  };
  if (name === 'task') return { command: 'task', options: taskOptions(parsed as Record<string, unknown>, common) };
  if (name === 'tasks' || name === 'init-db' || name === 'scheduler') return { command: name, options: common };
  if (name === 'serve') {
    const port = parsed.port as number | undefined;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be a port number 0-65535, got ${JSON.stringify(argvValue(argv, 'port') ?? port)}`);
    const host = parsed.host as string | undefined;
    if (host !== undefined && host.trim() === '') throw new UsageError('--host needs an address, e.g. --host 127.0.0.1');
    return { command: 'serve', options: { ...common, port, host, scheduler: parsed.scheduler !== false } };
  }
  if (name === 'worker') {
    const concurrency = parsed.concurrency === undefined ? os.availableParallelism() : Number(parsed.concurrency);
    if (!Number.isInteger(concurrency) || concurrency <= 0) throw new UsageError(`--concurrency must be a positive integer, got ${JSON.stringify(argvValue(argv, 'concurrency') ?? parsed.concurrency)}`);
    return { command: 'worker', options: { ...common, concurrency } };
  }
  if (name === 'conn') {
    const action = String(parsed.action);
    if (action !== 'test') throw new UsageError(`unknown conn action "${action}"${didYouMean(action, ['test'])} (use: goshift conn test -e <env> [from|to.<type>.<name> ...])`);
    return { command: 'conn', options: { ...common, entries: ((parsed.entries as unknown[] | undefined) ?? []).map(String) } };
  }
  const id = parsed.id;
  if (id === undefined) throw new UsageError(`${name} needs a task id: goshift -e ${common.env} -id <n>`);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`task id must be a positive integer, got ${JSON.stringify(argvValue(argv, 'id') ?? id)}`);
  if (name === 'verify') {
    const show = Number(parsed.show);
    if (!Number.isInteger(show) || show < 0) throw new UsageError(`--show must be a non-negative integer, got ${JSON.stringify(argvValue(argv, 'show') ?? parsed.show)}`);
    const ttlTolerance = Number(parsed['ttl-tolerance']);
    if (!Number.isFinite(ttlTolerance) || ttlTolerance < 0) throw new UsageError(`--ttl-tolerance must be a non-negative number of seconds, got ${JSON.stringify(argvValue(argv, 'ttl-tolerance') ?? parsed['ttl-tolerance'])}`);
    if (parsed['delete-extra'] && !parsed.repair) throw new UsageError('--delete-extra belongs to --repair: goshift verify -id <n> --repair --delete-extra');
    return { command: 'verify', options: { ...common, id, force: parsed.force, json: parsed.json === true, repair: parsed.repair === true, deleteExtra: parsed['delete-extra'] === true, show, ttlTolerance } };
  }
  if (name === 'dirty') {
    const limit = Number(parsed.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a non-negative integer, got ${JSON.stringify(argvValue(argv, 'limit') ?? parsed.limit)}`);
    const run = parsed.run as number | undefined;
    if (run !== undefined && (!Number.isInteger(run) || run <= 0)) throw new UsageError(`--run must be a run id (a positive integer), got ${JSON.stringify(argvValue(argv, 'run') ?? run)}`);
    return { command: 'dirty', options: { ...common, id, run, limit, json: parsed.json === true } };
  }
  if (parsed.resume && parsed.restart) throw new UsageError('--resume and --restart contradict each other: pick one');
  const keys = ((parsed.key as unknown[] | undefined) ?? []).map((k) => String(k));
  if (keys.some((k) => k === '')) throw new UsageError('--key needs a key name, got an empty string ""');
  if (keys.length && (parsed.resume || parsed.restart)) throw new UsageError(`--key copies only the named keys and leaves resume positions alone: it takes no --${parsed.resume ? 'resume' : 'restart'}`);
  return { command: name, options: { ...common, id, mode: parsed.mode as RunMode, force: parsed.force, resume: parsed.resume, restart: parsed.restart, keys: [...new Set(keys)], distributed: parsed.distributed === true } };
}

/** Build the options of `goshift task <action>` and check the arguments each action takes. */
function taskOptions(parsed: Record<string, unknown>, common: CommonOptions): TaskCommandOptions {
  const action = String(parsed.action);
  if (!(taskActions as readonly string[]).includes(action)) {
    throw new UsageError(`unknown task action "${action}"${didYouMean(action, taskActions)} (use ${taskActions.join(', ')})`);
  }
  const rest = ((parsed.args as unknown[] | undefined) ?? []).map(String);
  const flagIds = parsed.id === undefined ? [] : ([] as unknown[]).concat(parsed.id);
  const fields: TaskFieldValues = {};
  for (const [flag, column] of Object.entries(taskFieldFlags)) {
    if (parsed[flag] !== undefined) fields[column] = String(last(parsed[flag]));
  }
  if (parsed['online-status'] !== undefined) fields.online_status = Number(last(parsed['online-status']));
  const opts: TaskCommandOptions = {
    ...common, action: action as TaskAction, ids: [], fields, json: parsed.json === true, yes: parsed.yes === true,
    file: parsed.file === undefined ? undefined : String(last(parsed.file)), out: parsed.out === undefined ? undefined : String(last(parsed.out)),
  };
  const toId = (v: unknown): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0 || String(v).trim() === '') throw new UsageError(`task id must be a positive integer, got ${JSON.stringify(String(v))}`);
    return n;
  };
  const given = Object.keys(fields).length > 0 || opts.file !== undefined;
  if (given && action !== 'add' && action !== 'edit') throw new UsageError(`task ${action} takes no column flags or --file (they belong to task add and task edit)`);
  if (opts.json && action !== 'show') throw new UsageError('--json belongs to task show');
  if (opts.yes && action !== 'rm') throw new UsageError('--yes belongs to task rm');
  if (opts.out !== undefined && action !== 'export') throw new UsageError('--out belongs to task export');
  if (action === 'import') {
    if (rest.length !== 1 || flagIds.length) throw new UsageError('task import takes one file or directory: goshift task import -e <env> <file|dir>');
    opts.path = rest[0];
  } else if (action === 'add') {
    if (rest.length || flagIds.length) throw new UsageError('task add takes no id: the new id is printed');
    if (!given) throw new UsageError('task add needs column flags (--from-type, --from-app, ...) or --file <task.json>');
  } else {
    opts.ids = [...rest, ...flagIds].map(toId);
    if (action !== 'export' && opts.ids.length !== 1) throw new UsageError(`task ${action} takes one task id: goshift task ${action} -e <env> <id>`);
    if (action === 'edit' && !given) throw new UsageError('task edit needs the columns to change (--from-type, --params, ...) or --file <task.json>');
  }
  return opts;
}

/** A flag given twice is an array: the last one wins, as in most command lines. */
function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function argvValue(argv: string[], flag: string): string | undefined {
  const i = argv.findIndex((a) => a === `-${flag}` || a === `--${flag}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
