import { availableParallelism } from 'node:os';
import type { TaskOptions } from '../cli-args';
import { maskSecrets } from '../config/mask';
import { openMetaDb } from '../meta/meta-db';
import { PositionStore } from '../meta/position-store';
import { TaskStore } from '../meta/task-store';
import { bridgeSettings } from '../records/bridge';
import { copyIdentity } from '../resume/identity';
import { previewResume } from '../runtime/resume';
import { readerContext, RunParts, writerContext } from '../runtime/context';
import { checkTargetColumns } from '../runtime/column-check';
import { createTarget } from '../runtime/create-target';
import { checkKeysRun, checkStreamRun, useDirectCopy } from '../runtime/job-checks';
import { errorLimits, limitsText } from '../runtime/dirty-budget';
import { limitText, RunRateLimiter } from '../runtime/rate-limit';
import { JobSpec, resolveJob } from '../runtime/job-spec';
import { setupCommand } from './setup';

/** Options of `goshift plan`. */
export type PlanCommandOptions = TaskOptions;

/**
 * `goshift plan`: print the resolved task, masked connections, params and the shard list.
 * Reads the source to plan; writes nothing anywhere.
 */
export async function planCommand(opts: PlanCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config);
  try {
    const tasks = new TaskStore(meta);
    const task = await tasks.get(opts.id);
    const spec = resolveJob(config, task, { force: opts.force });
    const runState: Record<string, unknown> = {};
    if (opts.mode === 'incr') runState.watermark = await tasks.getState(task.id, 'watermark');
    const parts: RunParts = { ...spec, mode: opts.mode, runState, logger, signal: new AbortController().signal, keys: opts.keys };
    if (opts.keys.length) checkKeysRun(spec);
    checkStreamRun(spec, opts.mode);
    await spec.readerPlugin.reader!.validate?.(readerContext(parts));
    // With create_target a missing target is not an error: plan shows the DDL a run would execute.
    const ddl = spec.params.create_target ? await createTarget(spec, readerContext(parts), writerContext(parts), true) : undefined;
    if (ddl === undefined) await spec.writerPlugin.writer!.validate?.(writerContext(parts));
    if (ddl === undefined) await checkTargetColumns(spec, readerContext(parts), writerContext(parts));
    // `prepare` is not called: it may change the source (e.g. dirty-set recovery) and plan writes nothing.
    const shards = await spec.readerPlugin.reader!.plan(readerContext(parts));
    const out = process.stdout;
    out.write(`task ${task.id}: ${task.task_desc ?? ''}\n`);
    out.write(`  from ${task.from_db_type} ${task.from_app}_${task.from_db} ${task.from_table}\n`);
    out.write(`  to   ${task.to_db_type} ${task.to_app}_${task.to_db} ${task.to_table}\n`);
    out.write(`  mode ${opts.mode}, online_status ${task.online_status}, task_status ${task.task_status}\n`);
    if (spec.params.create_target) out.write(ddl ? `create_target: the target is missing; a run creates it with:\n${ddl}\n` : 'create_target: the target exists, nothing to create\n');
    out.write(`source connection: ${JSON.stringify(maskSecrets(spec.source))}\n`);
    out.write(`target connection: ${JSON.stringify(maskSecrets(spec.target))}\n`);
    out.write(`params: ${JSON.stringify(spec.params)}\n`);
    const settings = await effectiveSettings(spec, parts);
    const width = Math.max(...Object.keys(settings).map((k) => k.length));
    out.write('effective settings:\n');
    for (const [k, v] of Object.entries(settings)) out.write(`  ${k.padEnd(width)}  ${v}\n`);
    if (Object.keys(runState).length) out.write(`run state: ${JSON.stringify(runState)}\n`);
    const estimated = shards.reduce((n, s) => n + (s.estimatedRows ?? 0), 0);
    const known = shards.some((s) => s.estimatedRows !== undefined);
    out.write(`shards: ${shards.length} (${known ? `about ${estimated} rows` : 'row count unknown until read'})\n`);
    for (const s of shards) out.write(`  ${s.id}\t${s.label}${s.estimatedRows !== undefined ? `\t~${s.estimatedRows} rows` : ''}\n`);
    if (opts.keys.length) {
      out.write(`keys: ${opts.keys.map((k) => JSON.stringify(k)).join(', ')} (--key: only these are copied; resume positions are left alone)\n`);
      return 0;
    }
    const identity = copyIdentity(task, spec.params, opts.mode);
    out.write(`resume: ${await previewResume(task.id, identity, shards, { positions: new PositionStore(meta), tasks })}\n`);
    return 0;
  } finally {
    await meta.end();
  }
}

/**
 * What a run would really use, defaults resolved: how shards are copied (inside the server or
 * streamed), the threads, the reader's and writer's own settings and the record mapping.
 */
async function effectiveSettings(spec: JobSpec, parts: RunParts): Promise<Record<string, string>> {
  const { params, task } = spec;
  const direct = await useDirectCopy(spec, parts);
  const out: Record<string, string> = {
    copy: direct
      ? 'inside the server, one INSERT ... SELECT per shard (source and target share it; params.direct_copy=false streams through goshift)'
      : `streamed through goshift: read ${task.from_db_type}, write ${task.to_db_type}`,
    worker_num: `${params.worker_num} shards in flight on ${Math.min(params.worker_num, availableParallelism())} threads`,
    ...spec.readerPlugin.reader!.settings?.(readerContext(parts)),
    ...spec.writerPlugin.writer!.settings?.(writerContext(parts)),
    ...bridgeSettings(spec.readerPlugin, spec.writerPlugin, task, params),
    ...(RunRateLimiter.wanted(params) ? { rate_limit: `${limitText(params)}, one budget for the whole run` } : {}),
    ...(errorLimits(params) ? { dirty_records: `refused records are isolated and stored (goshift dirty); the run fails past ${limitsText(errorLimits(params)!)}` } : {}),
    checkpoint_seconds: String(params.checkpoint_seconds),
    retry_max_seconds: String(params.retry_max_seconds),
  };
  return out;
}
