import type { TaskOptions } from '../cli-args';
import { maskSecrets } from '../config/mask';
import { openMetaDb } from '../meta/meta-db';
import { TaskStore } from '../meta/task-store';
import { readerContext, RunParts, writerContext } from '../runtime/context';
import { resolveJob } from '../runtime/job-spec';
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
    const parts: RunParts = { ...spec, mode: opts.mode, runState, logger, signal: new AbortController().signal };
    await spec.readerPlugin.reader!.validate?.(readerContext(parts));
    await spec.writerPlugin.writer!.validate?.(writerContext(parts));
    // `prepare` is not called: it may change the source (e.g. dirty-set recovery) and plan writes nothing.
    const shards = await spec.readerPlugin.reader!.plan(readerContext(parts));
    const out = process.stdout;
    out.write(`task ${task.id}: ${task.task_desc ?? ''}\n`);
    out.write(`  from ${task.from_db_type} ${task.from_app}_${task.from_db} ${task.from_table}\n`);
    out.write(`  to   ${task.to_db_type} ${task.to_app}_${task.to_db} ${task.to_table}\n`);
    out.write(`  mode ${opts.mode}, online_status ${task.online_status}, task_status ${task.task_status}\n`);
    out.write(`source connection: ${JSON.stringify(maskSecrets(spec.source))}\n`);
    out.write(`target connection: ${JSON.stringify(maskSecrets(spec.target))}\n`);
    out.write(`params: ${JSON.stringify(spec.params)}\n`);
    if (Object.keys(runState).length) out.write(`run state: ${JSON.stringify(runState)}\n`);
    const estimated = shards.reduce((n, s) => n + (s.estimatedRows ?? 0), 0);
    out.write(`shards: ${shards.length} (about ${estimated} rows)\n`);
    for (const s of shards) out.write(`  ${s.id}\t${s.label}${s.estimatedRows !== undefined ? `\t~${s.estimatedRows} rows` : ''}\n`);
    return 0;
  } finally {
    await meta.end();
  }
}
