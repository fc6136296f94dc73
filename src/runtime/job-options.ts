/**
 * The values a run's stages share: its options (what the CLI, `serve` or the coordinator asked
 * for), where its shards run, and the {@link RunContext} built once per run and handed to the
 * stages (`job-prepare.ts`, `job-execute.ts`) as one value.
 */
import type { Logger } from 'winston';
import type { GoshiftConfig } from '../config/schema';
import type { GoshiftError } from '../errors';
import type { MetaDb } from '../meta/meta-db';
import { acquireRunLease, LeaseRequest } from '../meta/run-lease';
import type { TaskStore } from '../meta/task-store';
import type { RunParts } from './context';
import type { JobRun } from './job-run';
import type { JobSpec } from './job-spec';
import { ShardPool, ShardScheduler } from './pool';
import type { RunSummary } from './progress';

/** Options of one run. */
export interface RunJobOptions {
  config: GoshiftConfig;
  meta: MetaDb;
  taskId: number;
  /** `init` (full copy, default), `incr` (changes since the stored watermark) or `stream`. */
  mode: string;
  /** Run an offline task anyway, or beside a live run. */
  force: boolean;
  /** Forget the positions of an interrupted copy and copy everything. Default false: resume. */
  restart?: boolean;
  /**
   * Copy only these keys (`--key`). Default: everything. Such a run neither resumes an interrupted
   * copy nor saves or clears positions, and names the keys it did not copy.
   */
  keys?: string[];
  /** Honour goshift's bare env-name form in the config (workers load the config themselves). */
  usedEnv?: boolean;
  logger: Logger;
  /** Fires on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Show a live bar (default: when stderr is a TTY). */
  tty?: boolean;
  /** Called once the run record exists (the CLI uses it to record a forced exit). */
  onRunOpened?(runId: number): void;
  /** Where the shards run. Default: the local piscina pool ({@link ShardPool}). */
  backend?: ShardBackend;
}

/**
 * Where a run's shards run, and how its run record is opened: the local pool by default, the
 * queue (`--distributed`, src/distributed/) when one machine is not enough.
 */
export interface ShardBackend {
  /**
   * Open the run record holding the task's lease. Default: a new run ({@link acquireRunLease}).
   * The queue re-attaches to a run whose shards are still queued.
   */
  openRun(meta: MetaDb, req: LeaseRequest): Promise<number>;
  /** Refuse what this backend cannot run (before anything changes). */
  check?(spec: JobSpec, mode: string, keys: string[]): void;
  /** The scheduler that runs the shards of run `runId`, `inFlight` at once. */
  createScheduler(runId: number, inFlight: number, preload: string[]): ShardScheduler;
}

/** The default backend: shards on this machine's piscina threads. */
export const localBackend: ShardBackend = {
  openRun: (meta, req) => acquireRunLease(meta, req),
  createScheduler: (runId, inFlight, preload) => new ShardPool(runId, inFlight, preload),
};

/** A finished run: its summary and, when it did not succeed, the error. */
export interface RunOutcome {
  summary: RunSummary;
  error?: GoshiftError;
  /** `--key`: the named keys the run did not copy (empty when all were copied). */
  keysMissing: string[];
}

/** Options of the copy phase: the run's options and the step that marks the task running. */
export type CopyOptions = RunJobOptions & { onStart(): Promise<void> };

/** One run's shared values, built once (in `job.ts`) and passed to every stage as one value. */
export interface RunContext {
  spec: JobSpec;
  /** What the plugins' contexts are built from (task, params, connections, mode, run state, signal). */
  parts: RunParts;
  /** The run's counters and events. */
  run: JobRun;
  /** Where the shards run. */
  pool: ShardScheduler;
  opts: CopyOptions;
  tasks: TaskStore;
}
