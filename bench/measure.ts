import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Wall time and peak resident memory of one command. */
export interface Measured {
  seconds: number;
  /** Peak RSS in MiB (VmHWM sampled every 50 ms), when measured. */
  peakMiB?: number;
  /**
   * CPU seconds (user + system, all threads) of the process, when memory is tracked: read from
   * /proc/<pid>/stat at each sample, so up to one sample interval short. Steadier than wall time on
   * a loaded machine.
   */
  cpuSeconds?: number;
  /** The last 4000 characters the command wrote to stderr. */
  stderr?: string;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const ticksPerSecond = 100;

/**
 * Run a shell command, fail loudly on a non-zero exit, and report its wall time; with
 * `trackMemory` also the peak RSS of the process (the `exec`'d command, so worker threads count).
 */
export async function timeCommand(command: string, opts: { trackMemory?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Measured> {
  const started = process.hrtime.bigint();
  const child = spawn('bash', ['-c', opts.trackMemory ? `exec ${command}` : command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  let peakKb = 0;
  let cpuTicks = 0;
  const trace: number[] = [];
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
      const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (rss && process.env.BENCH_RSS_TRACE) trace.push(Math.round(Number(rss[1]) / 1024));
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime): indexes 11 and 12 after the command name.
      cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process already exited.
    }
  };
  const timer = opts.trackMemory ? setInterval(sample, 50) : undefined;
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (timer) clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // BENCH_RSS_TRACE=1: RSS (MiB) at each tenth of the run, to see whether memory grows with the copy.
  if (trace.length) process.stdout.write(`  RSS MiB by tenths of the run: ${Array.from({ length: 10 }, (_, i) => trace[Math.floor(((i + 1) * trace.length) / 10) - 1]).join(' ')}\n`);
  if (code !== 0) throw new Error(`benchmark command failed (exit ${code}): ${command}\n${stderr}`);
  return { seconds, peakMiB: opts.trackMemory ? peakKb / 1024 : undefined, cpuSeconds: opts.trackMemory ? cpuTicks / ticksPerSecond : undefined, stderr };
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat; 0 when it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Print a results table with each peer's time relative to goshift's. */
export function printTable(title: string, unit: string, count: number, rows: { name: string; m: Measured }[]): void {
  // Ratios are against the fastest goshift variant.
  const goshift = rows.filter((r) => r.name.startsWith('goshift')).sort((a, b) => a.m.seconds - b.m.seconds)[0];
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(`${'method'.padEnd(46)}${'seconds'.padStart(9)}${`${unit}/s`.padStart(12)}${'vs goshift'.padStart(12)}${'peak MiB'.padStart(10)}\n`);
  for (const { name, m } of rows) {
    const ratio = goshift ? (m.seconds / goshift.m.seconds).toFixed(2) + 'x' : '-';
    process.stdout.write(`${name.padEnd(46)}${m.seconds.toFixed(2).padStart(9)}${Math.round(count / m.seconds).toString().padStart(12)}${ratio.padStart(12)}${(m.peakMiB ? m.peakMiB.toFixed(0) : '-').padStart(10)}\n`);
  }
  process.stdout.write('(vs goshift = method time / fastest goshift time: above 1.00x means goshift was faster)\n');
}
