/**
 * The scheduler of `goshift serve` and `goshift scheduler`: tasks whose params carry a cron
 * expression (`params.schedule`) get a run when it is due, never two of one task at once. A due
 * tick while the task's run is still going (started here, or by anyone else: a live lease in
 * goshift_run) is skipped; the events (started, skipped, failed to start) are kept in memory, the
 * latest 500, and logged.
 */
import { Cron } from 'croner';
import type { Logger } from 'winston';
import type { MetaDb } from '../meta/meta-db';
import { RunQueries } from '../meta/run-queries';
import { TaskStore } from '../meta/task-store';
import { parseSchedule } from './cron';
import { HttpError } from './http';
import type { RunLauncher } from './run-launcher';
import { scheduleOf } from './task-view';

/** What happened at one due time of a task's schedule. */
export interface ScheduleEvent {
  /** When the tick fired (ISO). */
  at: string;
  taskId: number;
  schedule: string;
  /** `started`: a run began; `skipped`: a run of the task was still going; `failed`: it could not start. */
  action: 'started' | 'skipped' | 'failed';
  runId?: number;
  reason?: string;
}

/** A task the scheduler follows. */
interface Scheduled {
  schedule: string;
  mode: string;
  cron: Cron;
}

/** Events kept in memory. */
const keptEvents = 500;

/** Starts due runs of scheduled tasks. */
export class Scheduler {
  private readonly jobs = new Map<number, Scheduled>();
  private readonly launching = new Set<number>();
  private readonly log: ScheduleEvent[] = [];
  private readonly counts = new Map<string, number>();
  private readonly invalid = new Map<number, string>();
  private reloadTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly meta: MetaDb, private readonly launcher: RunLauncher, private readonly logger: Logger, private readonly reloadSeconds: number) {}

  /** Read the schedules and keep re-reading them every `serve.scheduler_reload_seconds`. */
  async start(): Promise<void> {
    await this.reload();
    if (this.reloadSeconds > 0) {
      this.reloadTimer = setInterval(() => {
        void this.reload().catch((err) => this.logger.warn(`scheduler: reading the task table failed: ${(err as Error).message}`));
      }, this.reloadSeconds * 1000);
    }
  }

  /** Follow the online tasks that carry a schedule; drop the others; restart a changed schedule. */
  async reload(): Promise<void> {
    if (this.closed) return;
    const rows = await new TaskStore(this.meta).list();
    const wanted = new Map<number, { schedule: string; mode: string }>();
    for (const row of rows) {
      const { schedule, mode } = scheduleOf(row);
      if (schedule && Number(row.online_status) === 1) wanted.set(Number(row.id), { schedule, mode });
    }
    for (const [id, job] of this.jobs) {
      const w = wanted.get(id);
      if (!w || w.schedule !== job.schedule || w.mode !== job.mode) {
        job.cron.stop();
        this.jobs.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      if (this.jobs.has(id)) continue;
      try {
        parseSchedule(w.schedule);
      } catch (err) {
        if (this.invalid.get(id) !== w.schedule) this.logger.warn(`scheduler: task ${id}: ${(err as Error).message}; not scheduled`);
        this.invalid.set(id, w.schedule);
        continue;
      }
      this.invalid.delete(id);
      const cron = new Cron(w.schedule, { catch: true }, () => this.tick(id, w.schedule, w.mode));
      this.jobs.set(id, { ...w, cron });
      this.logger.info(`scheduler: task ${id} runs at "${w.schedule}" (mode ${w.mode}), next ${cron.nextRun()?.toISOString() ?? 'never'}`);
    }
  }

  /** Events, newest first. */
  events(taskId?: number): ScheduleEvent[] {
    return this.log.filter((e) => taskId === undefined || e.taskId === taskId).reverse();
  }

  /** Events counted by task and action since start (for `/metrics`). */
  eventCounts(): { taskId: number; action: string; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [taskId, action] = key.split(':');
      return { taskId: Number(taskId), action, count };
    });
  }

  /** The scheduled tasks with their next due time. */
  scheduled(): { taskId: number; schedule: string; mode: string; nextRun: string | null }[] {
    return [...this.jobs].map(([taskId, j]) => ({ taskId, schedule: j.schedule, mode: j.mode, nextRun: j.cron.nextRun()?.toISOString() ?? null }));
  }

  /** Stop scheduling (runs already started go on). Idempotent. */
  close(): void {
    this.closed = true;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    for (const job of this.jobs.values()) job.cron.stop();
    this.jobs.clear();
  }

  /** One due time: start a run unless one of the task is still going. */
  private async tick(taskId: number, schedule: string, mode: string): Promise<void> {
    const at = new Date().toISOString();
    if (this.closed) return;
    if (this.launching.has(taskId)) {
      this.record({ at, taskId, schedule, action: 'skipped', reason: 'the run of an earlier due time is still starting' });
      return;
    }
    if (this.launcher.busy(taskId)) {
      this.record({ at, taskId, schedule, action: 'skipped', runId: this.launcher.liveRunOf(taskId), reason: 'the run this scheduler started is still going' });
      return;
    }
    this.launching.add(taskId);
    try {
      const live = await this.liveRun(taskId);
      if (live) {
        this.record({ at, taskId, schedule, action: 'skipped', runId: live.id, reason: `run ${live.id} (pid ${live.pid} on ${live.host}) is still going` });
        return;
      }
      const started = await this.launcher.start({ taskId, mode });
      this.record({ at, taskId, schedule, action: 'started', runId: started.runId });
    } catch (err) {
      const refused = err instanceof HttpError && err.status === 409;
      this.record({ at, taskId, schedule, action: refused ? 'skipped' : 'failed', reason: (err as Error).message });
    } finally {
      this.launching.delete(taskId);
    }
  }

  /** A run of the task holding a live lease (fresh heartbeat), from any process on any host. */
  private liveRun(taskId: number): Promise<{ id: number; pid: number; host: string } | undefined> {
    return new RunQueries(this.meta).liveRun(taskId);
  }

  private record(e: ScheduleEvent): void {
    this.log.push(e);
    if (this.log.length > keptEvents) this.log.splice(0, this.log.length - keptEvents);
    const key = `${e.taskId}:${e.action}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const run = e.runId ? ` run ${e.runId}` : '';
    const line = `scheduler: task ${e.taskId} due at ${e.at} ("${e.schedule}"): ${e.action}${run}${e.reason ? `: ${e.reason}` : ''}`;
    if (e.action !== 'failed') this.logger.info(line);
    else this.logger.warn(line);
  }
}
