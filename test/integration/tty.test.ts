/**
 * On a terminal (a pseudo-terminal from util-linux `script`), Ctrl-C must leave its warnings
 * readable: the progress bar stops before they are printed instead of being drawn over them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GoshiftTestEnv, repoRoot } from '../support/goshift-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of a process's children, read from /proc (no procps needed). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": fields after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return children;
}

/**
 * The goshift process below `script`: `script` runs the command through $SHELL, and a shell such
 * as dash keeps itself between them, so look through all descendants for the goshift command line.
 */
function goshiftBelow(root: number): number {
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    try {
      if (pid !== root && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/goshift')) return pid;
    } catch {
      continue;
    }
    queue.push(...childrenOf(pid));
  }
  throw new Error(`no goshift process below ${root}`);
}

describe('Ctrl-C on a terminal', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test('the cancel warnings are whole lines, not drawn over by the bar', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, pad varchar(100))');
    await env.sql("INSERT INTO src SELECT seq, REPEAT('x', 100) FROM seq_1_to_200000");
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 1, read_batch: 200, write_batch: 200, direct_copy: false } });
    const command = ['exec', process.execPath, path.join(repoRoot, 'bin', 'goshift'), '-c', env.configDir, '-e', 'test', '-id', String(id)].join(' ');
    const term = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh', COLUMNS: '200', TERM: 'xterm' } });
    let out = '';
    term.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number>((resolve) => term.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 200 && !/rows\/s/.test(out); i++) await sleep(50);
    expect(out).toMatch(/rows\/s/); // the bar is on screen
    await sleep(500);
    // Ctrl-C on a terminal signals the foreground process: the goshift child of `script`.
    process.kill(goshiftBelow(term.pid!), 'SIGINT');
    expect(await exited).toBe(130);
    // Split the terminal output into what a user sees as lines (carriage returns redraw a line).
    const seen = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/).map((l) => l.split('\r').pop()!.trim());
    expect(seen).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d warn {2}received SIGINT: cancelling task \d+ \(press Ctrl-C again to exit at once\)$/));
    expect(seen).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d warn {2}task \d+: interrupted, stopping after in-flight batches$/));
  });
});
