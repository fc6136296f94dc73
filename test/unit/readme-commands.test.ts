/**
 * Every goshift command line in the `sh` blocks of README.md and docs/**\/*.md parses with the
 * CLI's own parser (nothing runs), so a renamed or made-up flag in the documentation fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '../../src/cli-args';
import { documentationFiles, goshiftCommands, shellCommands, type DocCommand } from '../support/markdown';

const root = path.resolve(__dirname, '../..');

/** The commands of every documentation file. */
function documentedCommands(): DocCommand[] {
  return documentationFiles(root).flatMap((file) => goshiftCommands(fs.readFileSync(path.join(root, file), 'utf8'), file));
}

/** Why goshift would refuse this argv before running anything, or undefined when it parses. */
function refusal(argv: string[]): string | undefined {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help' || argv[0] === '--version')) return undefined;
  try {
    parseCommandLine(argv);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('shell words of documentation blocks', () => {
  test('quotes, $(...), $id, comments, continuations and redirections', () => {
    const script = [
      "id=$(goshift task add -e local \\",
      "  --params '{\"pk\":{\"src\":\"id\"}}' --desc \"my $name task\")   # prints the id",
      'goshift task show -e local $id --json | jq .params > out.json 2>&1',
      'export TOKEN=$(openssl rand -hex 16); goshift serve -e prod && echo done',
    ].join('\n');
    expect(shellCommands(script)).toEqual([
      ['goshift', 'task', 'add', '-e', 'local', '--params', '{"pk":{"src":"id"}}', '--desc', 'my 1 task'],
      ['id=1'],
      ['goshift', 'task', 'show', '-e', 'local', '1', '--json'],
      ['jq', '.params'],
      ['openssl', 'rand', '-hex', '16'],
      ['export', 'TOKEN=1'],
      ['goshift', 'serve', '-e', 'prod'],
      ['echo', 'done'],
    ]);
  });

  test('only sh blocks count, and node bin/goshift is goshift', () => {
    const md = ['```json', '{"goshift": 1}', '```', '```sh', 'node bin/goshift tasks -e local', 'make demo', '```', '```', 'goshift output line', '```'].join('\n');
    expect(goshiftCommands(md, 'x.md')).toEqual([{ argv: ['tasks', '-e', 'local'], source: 'x.md', line: 5 }]);
  });
});

describe('documented goshift commands parse', () => {
  const commands = documentedCommands();

  test('the README and docs hold the commands a new user types', () => {
    const inReadme = commands.filter((c) => c.source === 'README.md');
    expect(inReadme.length).toBeGreaterThanOrEqual(20);
    expect(commands.length).toBeGreaterThan(inReadme.length);
    expect(inReadme.some((c) => c.argv[0] === 'task' && c.argv[1] === 'add')).toBe(true);
  });

  test('every one parses with the CLI', () => {
    const refused = commands
      .map((c) => ({ c, why: refusal(c.argv) }))
      .filter((r) => r.why !== undefined)
      .map((r) => `${r.c.source}:${r.c.line}: goshift ${r.c.argv.join(' ')}\n  -> ${r.why}`);
    expect(refused).toEqual([]);
  });

  test('a made-up flag in a block is caught', () => {
    const md = ['```sh', 'goshift -e local -id 5 \\', '  --mode incr --made-up-flag   # not a goshift flag', '```'].join('\n');
    const [cmd] = goshiftCommands(md, 'x.md');
    expect(cmd.line).toBe(2);
    expect(refusal(cmd.argv)).toMatch(/Unknown argument.*made-up-flag/);
  });
});
