import fs from 'node:fs';
import os from 'node:os';
import { TaskError } from '../errors';
import type { MetaDb } from './meta-db';

/** How often a live run renews its heartbeat, in ms. */
export const heartbeatEveryMs = 3000;

/** A run whose heartbeat is older than this is dead, whatever its pid, in seconds. */
export const leaseSeconds = 15;

/** A run recorded as running, as the lease check sees it. */
interface RunningRow {
  id: number;
  host: string;
  pid: number;
  started_at: string;
  /** The heartbeat is younger than {@link leaseSeconds} (by the metadata server's clock). */
  fresh: boolean;
}

/** Options of {@link acquireRunLease}. */
export interface LeaseRequest {
  taskId: number;
  mode: string;
  cmd: string;
  /** Start even when another live run holds the task. */
  force: boolean;
  /** Called for each run found dead and closed as failed. */
  onAbandoned?(runId: number, reason: string): void;
}

/**
 * Open a run record holding the task's lease, atomically: under a row lock on the task, runs whose
 * lease lapsed (stale heartbeat, or a dead or zombie pid on this host) are closed as failed, and a
 * live one refuses the new run (recorded with status `refused`, unless `force`). Two runs started
 * at the same moment can never both refuse each other: the second waits for the first's decision.
 * @returns the new run id
 * @throws TaskError when another live run holds the task (the refused run is recorded)
 */
export async function acquireRunLease(db: MetaDb, req: LeaseRequest): Promise<number> {
  const conn = await db.getConnection();
  try {
    await conn.query('START TRANSACTION');
    await conn.query('SELECT id FROM task_def_sync_manager WHERE id = ? FOR UPDATE', [req.taskId]);
    const [rows] = await conn.query(
      `SELECT id, host, pid, started_at, heartbeat_at >= NOW(3) - INTERVAL ? SECOND AS fresh
         FROM goshift_run WHERE task_id = ? AND status = 'running' AND cmd = 'run'`,
      [leaseSeconds, req.taskId],
    );
    let holder: RunningRow | undefined;
    for (const r of rows as Record<string, unknown>[]) {
      const run: RunningRow = { id: Number(r.id), host: String(r.host), pid: Number(r.pid), started_at: String(r.started_at), fresh: Number(r.fresh) === 1 };
      const death = deathOf(run);
      if (death) {
        await conn.query("UPDATE goshift_run SET status = 'failed', ended_at = NOW(3), error_text = ? WHERE id = ? AND status = 'running'", [death, run.id]);
        req.onAbandoned?.(run.id, death);
      } else {
        holder ??= run;
      }
    }
    const refused = holder && !req.force;
    const [res] = await conn.query(
      `INSERT INTO goshift_run (task_id, mode, cmd, status, started_at, heartbeat_at, host, pid, error_text, ended_at)
       VALUES (?, ?, ?, ?, NOW(3), NOW(3), ?, ?, ?, ${refused ? 'NOW(3)' : 'NULL'})`,
      [req.taskId, req.mode, req.cmd, refused ? 'refused' : 'running', os.hostname(), process.pid,
        refused ? `refused: run ${holder!.id} (pid ${holder!.pid} on ${holder!.host}) is running` : null],
    );
    await conn.query('COMMIT');
    if (refused) {
      throw new TaskError(`task ${req.taskId} is already running: run ${holder!.id} (pid ${holder!.pid} on ${holder!.host}, started ${holder!.started_at}); wait for it, or pass --force if it is dead`);
    }
    return (res as { insertId: number }).insertId;
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/**
 * Take over the lease of run `runId` of task `taskId` (a `--distributed` run whose coordinator
 * died while its shard jobs stayed queued): under the task's row lock, a run still recorded as
 * running whose holder is dead becomes this process's run again.
 * @returns false when the run is no longer running (closed since, or never this task's)
 * @throws TaskError when its coordinator still lives
 */
export async function reattachRunLease(db: MetaDb, runId: number, taskId: number): Promise<boolean> {
  const conn = await db.getConnection();
  try {
    await conn.query('START TRANSACTION');
    await conn.query('SELECT id FROM task_def_sync_manager WHERE id = ? FOR UPDATE', [taskId]);
    const [rows] = await conn.query(
      `SELECT id, host, pid, started_at, heartbeat_at >= NOW(3) - INTERVAL ? SECOND AS fresh
         FROM goshift_run WHERE id = ? AND task_id = ? AND status = 'running' AND cmd = 'run'`,
      [leaseSeconds, runId, taskId],
    );
    const r = (rows as Record<string, unknown>[])[0];
    if (!r) {
      await conn.query('COMMIT');
      return false;
    }
    const run: RunningRow = { id: Number(r.id), host: String(r.host), pid: Number(r.pid), started_at: String(r.started_at), fresh: Number(r.fresh) === 1 };
    if (!deathOf(run) && !(run.host === os.hostname() && run.pid === process.pid)) {
      await conn.query('COMMIT');
      throw new TaskError(`task ${taskId} is already running: run ${run.id} (pid ${run.pid} on ${run.host}, started ${run.started_at}) coordinates its queued shards; wait for it`);
    }
    await conn.query('UPDATE goshift_run SET host = ?, pid = ?, heartbeat_at = NOW(3) WHERE id = ?', [os.hostname(), process.pid, runId]);
    await conn.query('COMMIT');
    return true;
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** Renew a run's heartbeat (and so its lease). */
export async function renewRunLease(db: MetaDb, runId: number): Promise<void> {
  await db.query("UPDATE goshift_run SET heartbeat_at = NOW(3) WHERE id = ? AND status = 'running'", [runId]);
}

/**
 * Why a run recorded as running is dead, or undefined while it lives: its heartbeat lapsed, or
 * (on this host) its process is gone or a zombie.
 */
function deathOf(run: RunningRow): string | undefined {
  if (run.host === os.hostname() && !processLives(run.pid)) return `died: process ${run.pid} on ${run.host} is gone`;
  if (!run.fresh) return `died: no heartbeat for ${leaseSeconds} s (process ${run.pid} on ${run.host})`;
  return undefined;
}

/** Whether a local pid is a live process: it exists and is not a zombie waiting to be reaped. */
export function processLives(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}
