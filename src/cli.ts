/**
 * goshift's command line: parses goshift's flags, lazy-loads the chosen command, and maps errors to
 * one readable line and an exit code. Everything else lives in `src/commands/`.
 */
import { buildParser, normalizeArgv, parseCommandLine, ParsedCommand } from './cli-args';
import { GoshiftError } from './errors';
import { goshiftVersion } from './paths';

async function dispatch(parsed: ParsedCommand): Promise<number> {
  switch (parsed.command) {
    case 'run':
      return (await import('./commands/run')).runCommand(parsed.options);
    case 'plan':
      return (await import('./commands/plan')).planCommand(parsed.options);
    case 'tasks':
      return (await import('./commands/tasks')).tasksCommand(parsed.options);
    case 'init-db':
      return (await import('./commands/init-db')).initDbCommand(parsed.options);
    case 'task':
      return (await import('./commands/task')).taskCommand(parsed.options);
    case 'conn':
      return (await import('./commands/conn')).connCommand(parsed.options);
    case 'verify':
      return (await import('./commands/verify')).verifyCommand(parsed.options);
    case 'dirty':
      return (await import('./commands/dirty')).dirtyCommand(parsed.options);
    case 'serve':
      return (await import('./commands/serve')).serveCommand(parsed.options);
    case 'scheduler':
      return (await import('./commands/serve')).schedulerCommand(parsed.options);
    case 'worker':
      return (await import('./commands/worker')).workerCommand(parsed.options);
  }
}

/** Run the CLI with the given arguments; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv.includes('--version') || argv.includes('-version')) {
      process.stdout.write(`goshift ${goshiftVersion()}\n`);
      return 0;
    }
    // `help` only as the command (`goshift help`), so `task add --desc help` is a description.
    if (argv.some((a) => a === '--help' || a === '-h') || argv[0] === 'help') {
      buildParser(normalizeArgv(argv[0] === 'help' ? argv.slice(1) : argv)).showHelp((s) => process.stdout.write(s + '\n'));
      return 0;
    }
    return await dispatch(parseCommandLine(argv));
  } catch (err) {
    const debug = argv.includes('debug') || process.env.GOSHIFT_DEBUG === '1';
    process.stderr.write(`goshift: ${err instanceof Error ? err.message : String(err)}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof GoshiftError ? err.exitCode : 1;
  }
}

/** Entry point of `bin/goshift`: run with `process.argv` and exit with the command's code. */
export function runCli(): void {
  // `goshift plan ... | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Pools, channels and log files are closed by the commands; this only bounds a stuck handle.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}

if (require.main === module) runCli();
