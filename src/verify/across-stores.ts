/**
 * `goshift verify` for any pair of stores without a same-store verifier (s3, dynamodb, file, and
 * every task whose source and target are different stores): key sets plus a hash of each record.
 * The source is read through its reader and mapped exactly as a run maps it; the target is read
 * back through the target store's own reader; both are compared by key and canonical hash (see
 * ./canonical.ts). Never writes to the source.
 */
import type { PluginContext, RecordKind, VerifyOptions, VerifyReport } from '../sdk';
import { TaskError } from '../errors';
import { mappedColumn, sourceKeyColumns } from '../sdk';
import { createBridge, readKinds, sharesNativeFormat, writeKinds } from '../records/bridge';
import { KeyTemplate } from '../sdk/key-template';
import { mappingParams } from '../records/params';
import { readerContext, RunParts, writerContext } from '../runtime/context';
import type { JobSpec } from '../runtime/job-spec';
import type { RowRule } from './canonical';
import type { VerifyContexts } from './contexts';
import { Comparer, Comparison } from './compare';
import { repairDifferences } from './repair';
import { scanStore } from './scan';
import { targetReaderContext } from './target-reader';

/**
 * Source records of differing keys a `--repair` holds in memory and re-copies in one go; keys
 * beyond it are reported as still differing (run the task again, or `--repair` once more).
 */
export const repairBound = 100_000;

/** The kinds source batches have once mapped for the writer. */
function mappedKinds(spec: JobSpec, source: PluginContext, writer: PluginContext): RecordKind[] {
  const bridge = createBridge(spec.readerPlugin, spec.writerPlugin, source, writer);
  const kinds = readKinds(spec.readerPlugin, source.params);
  if (!bridge) return kinds;
  return kinds.map((k) => bridge({ kind: k, records: [], bytes: 0 }).batch.kind ?? 'row');
}

/**
 * The target's key columns for row comparisons: `pk.dest`, else the mapped `pk.src`, else the key
 * an entry -> row mapping writes, else the key the source (then the target) describes.
 * @throws TaskError when no key is known
 */
async function targetKey(spec: JobSpec, source: PluginContext, writer: PluginContext): Promise<string[]> {
  const { params } = spec;
  const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  if (params.pk.dest) return split(params.pk.dest);
  const declared = sourceKeyColumns(params);
  if (declared.length) return declared.map((c) => mappedColumn(params, c));
  if (readKinds(spec.readerPlugin, params).includes('entry') && !writeKinds(spec.writerPlugin).includes('entry')) {
    const m = mappingParams(params);
    if (m.value_format === 'envelope' || !m.key_template) return [m.key_column || 'key'];
    return new KeyTemplate(m.key_template).columns;
  }
  const described = await spec.readerPlugin.reader?.describe?.(source).catch(() => undefined);
  if (described?.key.length) return described.key.map((c) => mappedColumn(params, c));
  const probe = targetReaderContext(writer, [], spec.writerPlugin.readBack);
  const target = await spec.writerPlugin.reader?.describe?.(probe).catch(() => undefined);
  if (target?.key.length) return target.key;
  throw new TaskError(`task ${spec.task.id}: verify compares rows by key, and neither params.pk nor the stores name one: set params.pk.src (and pk.dest when the target names it differently)`);
}

/** Build the contexts of a verify of `spec`. */
export async function verifyContexts(spec: JobSpec, parts: RunParts): Promise<VerifyContexts> {
  const portable = { peerNative: false, readOnce: false };
  const source = { ...readerContext(parts), ...portable };
  const writer = { ...writerContext(parts), ...portable };
  const kinds = mappedKinds(spec, source, writer);
  const key = kinds.includes('row') ? await targetKey(spec, source, writer) : [];
  const m = mappingParams(spec.params);
  const rows: RowRule = { key, ignore: m.ttl_column || undefined, expireAt: m.expire_at_column || undefined };
  return { source, writer, targetRead: targetReaderContext(writer, key, spec.writerPlugin.readBack), rows };
}

/** Read both sides once and compare them. */
export async function compareStores(spec: JobSpec, ctx: VerifyContexts, opts: VerifyOptions, keep: number): Promise<Comparison> {
  const { task } = spec;
  const m = mappingParams(spec.params);
  const comparer = new Comparer({
    rows: ctx.rows,
    ttlToleranceMs: opts.ttlToleranceMs ?? 1000,
    keep,
    // A row mapped to an entry gets its expiry at mapping time, unless it carries an absolute one.
    expiryComparable: (readKind) => readKind !== 'row' || Boolean(m.expire_at_column),
  });
  const targetPlugin = spec.writerPlugin;
  if (!targetPlugin.reader) throw new TaskError(`task ${task.id}: goshift verify reads the target back, and the ${task.to_db_type} store has no reader`);
  // Plain verify: both sides at once, a key waits only until the other side gives it (see
  // Comparer). A repair reads the target first, so the records it holds are differing ones only.
  const t = Date.now();
  const convert = createBridge(spec.readerPlugin, spec.writerPlugin, ctx.source, ctx.writer);
  const together = keep === 0;
  const lanes = together ? Math.max(1, Math.ceil(opts.concurrency / 2)) : opts.concurrency;
  const readTarget = () => scanStore(targetPlugin, ctx.targetRead, { concurrency: lanes, signal: opts.signal, where: `target ${task.to_db_type} ${task.to_db}.${task.to_table}` }, (b) => comparer.addTarget(b));
  const readSource = () => scanStore(spec.readerPlugin, ctx.source, { concurrency: lanes, signal: opts.signal, convert, where: `source ${task.from_db_type} ${task.from_db}.${task.from_table}` }, (b, readKind) => comparer.addSource(b, readKind ?? 'row'));
  if (together) await Promise.all([readTarget(), readSource()]);
  else {
    await readTarget();
    await readSource();
  }
  ctx.source.logger.debug(`verify: read and compared ${comparer.result.sourceRows} source and ${comparer.result.targetRows} target records in ${Date.now() - t} ms`);
  return comparer.finish();
}

/**
 * Verify a task across stores: compare, and with `opts.repair` re-copy the missing and different
 * keys through the task's writer (deleting extra keys with `opts.deleteExtra` where the writer
 * can delete), then compare again.
 */
export async function verifyAcrossStores(spec: JobSpec, parts: RunParts, opts: VerifyOptions): Promise<VerifyReport> {
  const ctx = await verifyContexts(spec, parts);
  const first = await compareStores(spec, ctx, opts, opts.repair ? repairBound : 0);
  const report: VerifyReport = {
    unit: 'keys',
    checked: first.sourceRows + first.extra.length,
    equal: first.equal,
    differing: first.sourceRows + first.extra.length - first.equal,
    sourceRows: first.sourceRows,
    targetRows: first.targetRows,
    missing: first.missing,
    extra: first.extra,
    different: first.different,
  };
  const notes: string[] = [];
  if (opts.repair && report.differing > 0) {
    if (sharesNativeFormat(spec.readerPlugin, spec.writerPlugin)) {
      notes.push(`--repair: a ${spec.task.from_db_type} -> ${spec.task.to_db_type} task copies native records, which verify compares in portable form only; nothing was re-copied (run the task again)`);
      report.repair = { copied: 0, deleted: 0, rechecked: 0, stillDiffering: [...first.missing, ...first.different, ...first.extra] };
    } else {
      const done = await repairDifferences(spec, ctx, first, opts);
      notes.push(...done.notes);
      if (first.overBound) notes.push(`--repair holds at most ${repairBound} source records: ${first.overBound} differing key(s) were not re-copied; run it again`);
      const again = await compareStores(spec, ctx, opts, 0);
      report.repair = {
        copied: done.copied,
        deleted: done.deleted,
        rechecked: first.missing.length + first.different.length + first.extra.length,
        stillDiffering: [...again.missing, ...again.different, ...again.extra],
      };
    }
  }
  if (notes.length) report.notes = notes;
  return report;
}
