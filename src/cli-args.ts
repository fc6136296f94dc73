import yargs from 'yargs';
import { UsageError } from './errors';
import { knownTypes } from './registry';
import { runModes } from './runtime/job-spec';

/** Subcommands, and the names goshift's `-cmd` may use for them. */
const commandAliases: Record<string, CommandName> = {
  run: 'run', sync: 'run', plan: 'plan', 'dry-run': 'plan', tasks: 'tasks', list: 'tasks', 'init-db': 'init-db', initdb: 'init-db',
};

/** A goshift subcommand. */
export type CommandName = 'run' | 'plan' | 'tasks' | 'init-db';

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
  mode: 'init' | 'incr';
  force: boolean;
  /** Skip shards the last failed or cancelled run finished. */
  resume: boolean;
}

/** The parsed command line. */
export type ParsedCommand =
  | { command: 'run' | 'plan'; options: TaskOptions }
  | { command: 'tasks' | 'init-db'; options: CommonOptions };

/** goshift's single-dash long flags, rewritten to `--name` before yargs sees them. */
const goshiftFlags = ['id', 'cmd', 'mode', 'UsedEnv', 'env', 'force', 'resume'];

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
      if (cmd === undefined) throw new UsageError('-cmd needs a value: run, plan, tasks or init-db');
      continue;
    }
    out.push(rewritten);
  }
  if (cmd !== undefined) {
    const command = commandAliases[cmd.toLowerCase()];
    if (!command) throw new UsageError(`unknown -cmd "${cmd}" (use ${Object.keys(commandAliases).join(', ')})`);
    const firstPositional = out.findIndex((a, i) => !a.startsWith('-') && (i === 0 || !out[i - 1].startsWith('-') || out[i - 1].includes('=')));
    if (firstPositional === -1 || !commandAliases[out[firstPositional]]) out.unshift(command);
  }
  return out;
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
    .option('env', { alias: 'e', type: 'string', default: 'local', describe: 'environment: reads <config-dir>/<env>.json' })
    .option('id', { type: 'number', describe: 'task id (row of task_def_sync_manager); goshift form -id 5' })
    .option('config-dir', { alias: 'c', type: 'string', describe: 'config directory (default ./etc, then the packaged etc/)' })
    .option('mode', { type: 'string', default: 'init', choices: [...runModes], describe: 'init: full copy; incr: only rows changed since the last successful run (params.diff_column)' })
    .option('cmd', { type: 'string', describe: 'goshift form of the subcommand: sync|run, plan, tasks, init-db' })
    .option('UsedEnv', { alias: 'used-env', type: 'boolean', default: true, describe: 'treat a config value that names a set environment variable as that variable (goshift); -UsedEnv=false to turn off' })
    .option('force', { type: 'boolean', default: false, describe: 'run a task even when it is offline (online_status=0)' })
    .option('resume', { type: 'boolean', default: false, describe: 'skip the shards that the last failed or cancelled run of the task finished' })
    .option('log-level', { type: 'string', choices: ['error', 'warn', 'info', 'debug'], describe: 'override log.level of the config' })
    .example('$0 -e prod -id 5', 'run task 5 with etc/prod.json')
    .example('$0 -c ./etc -e local -id 5 -mode init -cmd sync', "goshift's full form")
    .example('$0 plan -e local -id 5', 'show the shards task 5 would copy')
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
  if (!name) throw new UsageError(`unknown command "${parsed._[0]}" (see goshift --help)`);
  const common: CommonOptions = {
    env: parsed.env,
    configDir: parsed['config-dir'],
    usedEnv: parsed.UsedEnv,
    logLevel: parsed['log-level'],
  };
  if (name === 'tasks' || name === 'init-db') return { command: name, options: common };
  const id = parsed.id;
  if (id === undefined) throw new UsageError(`${name} needs a task id: goshift -e ${common.env} -id <n>`);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`task id must be a positive integer, got ${JSON.stringify(argvValue(argv, 'id') ?? id)}`);
  return { command: name, options: { ...common, id, mode: parsed.mode as 'init' | 'incr', force: parsed.force, resume: parsed.resume } };
}

function argvValue(argv: string[], flag: string): string | undefined {
  const i = argv.findIndex((a) => a === `-${flag}` || a === `--${flag}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
