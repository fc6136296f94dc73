import type { Logger } from 'winston';
import type { CommonOptions, VerifyCommandOptions } from '../cli-args';
import type { GoshiftConfig } from '../config/schema';
import type { VerifyOptions, VerifyReport } from '../sdk';
import { DifferencesFoundError, PluginError } from '../errors';
import { MetaDb, openMetaDb } from '../meta/meta-db';
import { TaskStore } from '../meta/task-store';
import { readerContext, RunParts, writerContext } from '../runtime/context';
import { resolveJob } from '../runtime/job-spec';
import { verifyAcrossStores } from '../verify/across-stores';
import { verifyMethod } from '../verify/support';
import { setupCommand } from './setup';

export type { VerifyCommandOptions };

/**
 * `goshift verify`: compare a task's target with its source through the store's verifier, print a
 * short table (or JSON), and with `--repair` re-copy what differs. Never writes to the source.
 * @returns 0 when everything matches
 * @throws DifferencesFoundError (exit 9) when differences are found, or remain after `--repair`
 */
export async function verifyCommand(opts: VerifyCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config);
  try {
    await verifyTask(config, meta, logger, opts, true);
    return 0;
  } finally {
    await meta.end();
  }
}

/**
 * `params.verify: true`: after a successful run, verify the task (no repair) and print the report.
 * Tasks without the param are left alone; a task whose stores verify does not compare gets a warning.
 * @throws DifferencesFoundError (exit 9) when the target differs from the source
 */
export async function verifyAfterRun(config: GoshiftConfig, meta: MetaDb, logger: Logger, opts: CommonOptions & { id: number; force: boolean }): Promise<void> {
  await verifyTask(config, meta, logger, { ...opts, json: false, repair: false, deleteExtra: false, show: 10, ttlTolerance: 1 }, false);
}

async function verifyTask(config: GoshiftConfig, meta: MetaDb, logger: Logger, opts: VerifyCommandOptions, asked: boolean): Promise<void> {
  const started = Date.now();
  const task = await new TaskStore(meta).get(opts.id);
  const spec = resolveJob(config, task, { force: opts.force });
  if (!asked && !spec.params.verify) return;
  // A same-store pair with its own verifier (mysql, redis) uses it; every other pair is compared
  // by key sets and record hashes through both stores' readers.
  const method = verifyMethod(spec.readerPlugin, spec.writerPlugin);
  const verifier = method === 'own' ? spec.readerPlugin.verify : undefined;
  if (method === null) {
    const what = `task ${task.id} copies ${task.from_db_type} -> ${task.to_db_type}: goshift verify reads the target back, and the ${task.to_db_type} store has no reader`;
    if (asked) throw new PluginError(what);
    logger.warn(`params.verify: ${what}; not verified`);
    return;
  }
  const label = `${task.from_db_type} ${task.from_db}.${task.from_table} -> ${task.to_db_type} ${task.to_db}.${task.to_table}`;
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('verify interrupted'));
  process.once('SIGINT', stop);
  const parts: RunParts = { ...spec, mode: 'init', runState: {}, logger, signal: controller.signal, shardsPerThread: 1 };
  let report: VerifyReport;
  try {
    const vopts: VerifyOptions = {
      repair: opts.repair, deleteExtra: opts.deleteExtra, ttlToleranceMs: opts.ttlTolerance * 1000, concurrency: Math.max(1, Math.min(spec.params.worker_num, 4)), signal: controller.signal,
    };
    report = verifier ? await verifier.verify(readerContext(parts), writerContext(parts), vopts) : await verifyAcrossStores(spec, parts, vopts);
  } finally {
    process.off('SIGINT', stop);
  }
  const seconds = (Date.now() - started) / 1000;
  // Ranges are checked in parallel: list keys in a stable order (numbers by value).
  for (const list of [report.missing, report.extra, report.different]) list.sort(byKey);
  const found = report.missing.length + report.extra.length + report.different.length;
  const remaining = report.repair ? report.repair.stillDiffering.length : found;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ task: opts.id, ...report, seconds, ok: remaining === 0 }, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(label, report, opts.show, seconds));
  }
  if (remaining > 0) {
    const what = `${report.missing.length} missing, ${report.extra.length} extra, ${report.different.length} different`;
    throw new DifferencesFoundError(report.repair
      ? `task ${opts.id}: after --repair ${remaining} key(s) still differ (${report.repair.stillDiffering.slice(0, 5).join(', ')})${opts.deleteExtra ? '' : '; extra target rows are deleted only with --delete-extra'}`
      : `task ${opts.id}: the target differs from the source (${what}); goshift verify -id ${opts.id} --repair re-copies them`);
  }
}

/** The table `goshift verify` prints. */
export function formatReport(label: string, r: VerifyReport, show: number, seconds: number): string {
  const lines = [
    `verify ${label}`,
    `  ${r.unit} checked     ${r.checked}`,
    `  equal              ${r.equal}`,
    `  differing          ${r.differing}`,
    `  rows               source ${r.sourceRows}, target ${r.targetRows}`,
    `  missing in target  ${r.missing.length}`,
    `  extra in target    ${r.extra.length}`,
    `  different          ${r.different.length}`,
  ];
  const keys = [
    ...r.missing.map((k) => `missing    ${k}`),
    ...r.extra.map((k) => `extra      ${k}`),
    ...r.different.map((k) => `different  ${k}`),
  ];
  if (keys.length && show > 0) {
    lines.push(`first ${Math.min(show, keys.length)} of ${keys.length} differing keys:`);
    for (const k of keys.slice(0, show)) lines.push(`  ${k}`);
  }
  if (r.repair) {
    lines.push(`repair: copied ${r.repair.copied} row(s), deleted ${r.repair.deleted}; rechecked ${r.repair.rechecked} key(s): ${r.repair.stillDiffering.length ? `${r.repair.stillDiffering.length} still differ` : 'all equal now'}`);
  }
  for (const note of r.notes ?? []) lines.push(`note: ${note}`);
  const verdict = !found(r) ? 'EQUAL' : r.repair && !r.repair.stillDiffering.length ? `REPAIRED (${found(r)} difference(s) found, all fixed)` : 'DIFFERENT';
  lines.push(`${verdict} in ${seconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}

const byKey = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function found(r: VerifyReport): number {
  return r.missing.length + r.extra.length + r.different.length;
}
