/**
 * Starts and stops runs for `goshift serve` and the scheduler. A run is a child process
 * `bin/goshift -c <dir> -e <env> -id <n>`, exactly as a user would start it: it takes the task's
 * lease, writes its run record and heartbeat, and a stop is the same SIGINT as Ctrl-C (the run
 * stops handing out shards, lets in-flight batches finish, and ends `cancelled`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'winston';
import { envOfConfigFile } from '../config/load';
import type { GoshiftConfig } from '../config/schema';
import type { MetaDb } from '../meta/meta-db';
import { processLives } from '../meta/run-lease';
import { RunQueries } from '../meta/run-queries';
import { packageRoot } from '../paths';
import { HttpError } from './http';

/** How a run is started. */
export interface StartRequest {
  taskId: number;
  /** `init` (default), `incr` or `stream`. */
  mode: string;
  /** Run an offline task, or beside a live run. Default false. */
  force?: boolean;
  /** Forget an interrupted copy's positions. Default false (resume). */
  restart?: boolean;
}

/** A run this process started, while it lives and a while after. */
interface Child {
  taskId: number;
  process: ChildProcess;
  runId?: number;
  exitCode?: number | null;
  /** Last lines the child wrote to stderr (its one-line error, log lines). */
  stderrTail: string;
  exited: Promise<void>;
}

/** What {@link RunLauncher.start} returns. */
export interface StartedRun {
  runId: number;
  /** Status of the run record when it appeared (`running`, or already final for a quick run). */
  status: string;
  pid: number;
}

/** How often the launcher looks for the run record of a child it started, in ms. */
const findRunEveryMs = 100;

/** Starts runs as child processes and stops them (also runs of other processes on this host). */
export class RunLauncher {
  private readonly children = new Set<Child>();
  private closed = false;

  constructor(private readonly config: GoshiftConfig, private readonly meta: MetaDb, private readonly logger: Logger, private readonly usedEnv = true) {}

  /** Whether a run this process started for `taskId` is still starting or running. */
  busy(taskId: number): boolean {
    return [...this.children].some((c) => c.taskId === taskId && c.exitCode === undefined);
  }

  /** The run id of the live run this process started for `taskId`, if known. */
  liveRunOf(taskId: number): number | undefined {
    return [...this.children].find((c) => c.taskId === taskId && c.exitCode === undefined)?.runId;
  }

  /**
   * Start a run and wait until its run record exists (the lease was taken or refused).
   * @throws HttpError 409 when the lease refused it (another live run holds the task), 422 when the
   *   process ended before opening a run (its own one-line error)
   */
  async start(req: StartRequest): Promise<StartedRun> {
    if (this.closed) throw new HttpError(503, 'the server is shutting down: no new runs');
    const before = await this.maxRunId();
    const args = [
      path.join(packageRoot, 'bin', 'goshift'), '-c', path.dirname(this.config.source), '-e', envOfConfigFile(this.config.source),
      '-id', String(req.taskId), '-mode', req.mode, ...(req.force ? ['--force'] : []), ...(req.restart ? ['--restart'] : []),
      ...(this.usedEnv ? [] : ['-UsedEnv=false']),
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    const child: Child = { taskId: req.taskId, process: proc, stderrTail: '', exited: Promise.resolve() };
    child.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        child.exitCode = code ?? (signal ? 128 : null);
        // Keep the record a minute so a quick failure can still be read, then forget it.
        setTimeout(() => this.children.delete(child), 60_000).unref();
        resolve();
      });
      proc.on('error', (err) => {
        child.stderrTail += `cannot start ${args[0]}: ${err.message}\n`;
        child.exitCode ??= 1;
        resolve();
      });
    });
    proc.stderr!.on('data', (d: Buffer) => {
      child.stderrTail = (child.stderrTail + d.toString('utf8')).slice(-4000);
    });
    this.children.add(child);
    const found = await this.findRun(child, before);
    if (!found) {
      const line = lastLine(child.stderrTail) ?? `exited with code ${child.exitCode} before opening a run`;
      throw new HttpError(422, `task ${req.taskId}: ${line.replace(/^goshift: /, '')}`);
    }
    child.runId = found.id;
    this.logger.info(`task ${req.taskId}: run ${found.id} started (pid ${proc.pid}, mode ${req.mode})`);
    if (found.status === 'refused') throw new HttpError(409, found.error_text ?? `task ${req.taskId} is already running`);
    return { runId: found.id, status: found.status, pid: proc.pid! };
  }

  /**
   * Stop a running run as Ctrl-C does (SIGINT): this process's own children, or a run of another
   * process on this host whose lease is alive.
   * @throws HttpError 404 unknown run, 409 when it is not running or runs on another host
   */
  async stop(runId: number): Promise<{ runId: number; pid: number }> {
    const run = await new RunQueries(this.meta).holder(runId);
    if (!run) throw new HttpError(404, `run ${runId} not found in goshift_run`);
    if (run.status !== 'running') throw new HttpError(409, `run ${runId} is not running (status ${run.status})`);
    const own = [...this.children].find((c) => c.runId === runId && c.exitCode === undefined);
    if (own) {
      own.process.kill('SIGINT');
    } else if (run.host !== os.hostname()) {
      throw new HttpError(409, `run ${runId} runs on host ${run.host} (pid ${run.pid}): stop it there (Ctrl-C or kill -INT ${run.pid})`);
    } else if (Number(run.fresh) !== 1 || !processLives(Number(run.pid))) {
      throw new HttpError(409, `run ${runId} holds no live lease (process ${run.pid} is gone or silent): the next run of the task records it as failed`);
    } else {
      process.kill(Number(run.pid), 'SIGINT');
    }
    this.logger.info(`run ${runId}: stop requested (SIGINT to pid ${own?.process.pid ?? run.pid})`);
    return { runId, pid: Number(own?.process.pid ?? run.pid) };
  }

  /** Exit code of a run this process started, when it has ended (undefined otherwise). */
  exitCodeOf(runId: number): number | null | undefined {
    return [...this.children].find((c) => c.runId === runId)?.exitCode;
  }

  /**
   * Refuse new runs; interrupt the children still running (SIGINT, as Ctrl-C) and wait for them to
   * record their end, up to `waitMs`; a second SIGINT then makes them exit at once (recorded as
   * cancelled). Idempotent.
   */
  async close(waitMs = 20_000): Promise<void> {
    this.closed = true;
    const live = [...this.children].filter((c) => c.exitCode === undefined);
    for (const c of live) c.process.kill('SIGINT');
    const all = Promise.all(live.map((c) => c.exited));
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), waitMs).unref())]);
    if (!timedOut) return;
    for (const c of live) if (c.exitCode === undefined) c.process.kill('SIGINT');
    await Promise.race([all, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private async maxRunId(): Promise<number> {
    return new RunQueries(this.meta).maxRunId();
  }

  /** Wait for the run record the child opens (by its pid on this host), or its exit. */
  private async findRun(child: Child, after: number): Promise<{ id: number; status: string; error_text: string | null } | undefined> {
    for (;;) {
      const exitedBefore = child.exitCode !== undefined;
      const row = await new RunQueries(this.meta).runOfProcess(child.taskId, child.process.pid ?? -1, os.hostname(), after);
      if (row) return row;
      if (exitedBefore) return undefined;
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, findRunEveryMs))]);
    }
  }
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
}
