/**
 * The runtime's bridge between record kinds: when the reader emits a kind the writer does not
 * take, each batch is converted right after it is read (row -> entry through a key template,
 * entry -> row through columns, entry <-> object through the portable envelope). Plugins never see
 * a kind they did not declare, and never learn which store is on the other side.
 */
import type { Batch, KvEntry, ObjectRecord, Plugin, PluginContext, RecordKind, SyncRecord, WriterFactory } from '../sdk';
import { TaskError, WriteError } from '../errors';
import type { TaskRow } from '../meta/task-row';
import type { TaskParams } from '../sdk';
import { EntryToRow } from './entry-to-row';
import { decodeEnvelope, encodeEnvelope } from '../sdk/envelope';
import { entryKeyOfObject, entryObjectKey } from './object-key';
import { isExpired } from '../sdk/expiry';
import { KeyTemplate } from '../sdk/key-template';
import { mappingParams } from './params';
import { RowToEntry } from './row-to-entry';

/** Turns one read batch into the kind the writer takes; `skipped` counts records dropped (expired entries, keys that do not fit the key template). */
export type BatchConverter = (batch: Batch) => { batch: Batch; skipped: number };

/** Conversions between kinds the core knows, as `from->to`. */
const ROUTES = new Set(['row->entry', 'entry->row', 'entry->object', 'object->entry']);

/** Kinds a plugin's reader emits (for a task's params when given, see `Plugin.readsFor`). Default is `['row']`. */
export function readKinds(plugin: Plugin, params?: TaskParams): RecordKind[] {
  if (params && plugin.readsFor) return plugin.readsFor(params);
  return plugin.reads ?? ['row'];
}

/** Kinds a plugin's writer accepts. Default is `['row']`. */
export function writeKinds(plugin: Plugin): RecordKind[] {
  return plugin.writes ?? ['row'];
}

/** Whether reader and writer declare the same native format (see `Plugin.nativeFormat`). */
export function sharesNativeFormat(reader: Plugin, writer: Plugin): boolean {
  return Boolean(reader.nativeFormat) && reader.nativeFormat === writer.nativeFormat;
}

/** The kind a batch of `kind` becomes for this writer: itself when accepted, else the first kind a route reaches, else null. */
function targetKind(kind: RecordKind, writer: Plugin): RecordKind | null {
  const accepted = writeKinds(writer);
  if (accepted.includes(kind)) return kind;
  return accepted.find((to) => ROUTES.has(`${kind}->${to}`)) ?? null;
}

/** Whether the reader also emits records the writer takes as they are (e.g. entries with their own key). */
function givesEntries(reader: Plugin, writer: Plugin, params: TaskParams): boolean {
  return readKinds(reader, params).some((k) => writeKinds(writer).includes(k));
}

/** The key template of a row -> entry mapping: params.key_template, else a to_table with placeholders, else ''. */
function rowKeyTemplate(task: TaskRow, params: TaskParams): string {
  const p = mappingParams(params);
  if (p.key_template) return p.key_template;
  const t = (task.to_table ?? '').trim();
  return t.includes('{') ? t : '';
}

/**
 * How the runtime maps the reader's records for the writer, for `plan`: each conversion and the
 * mapping settings it uses (the key template in use, not an empty placeholder). Empty when the
 * writer takes what the reader emits.
 */
export function bridgeSettings(reader: Plugin, writer: Plugin, task: TaskRow, params: TaskParams): Record<string, string> {
  const routes = readKinds(reader).map((kind) => [kind, targetKind(kind, writer)] as const).filter(([from, to]) => to !== null && to !== from);
  if (routes.length === 0) return {};
  const p = mappingParams(params);
  const out: Record<string, string> = { mapping: routes.map(([from, to]) => `${from} -> ${to}`).join(', ') };
  for (const [from, to] of routes) {
    if (from === 'row' && to === 'entry') out.key_template = p.value_format === 'envelope' ? '(none: each row holds its entry in the envelope)' : rowKeyTemplate(task, params) || (givesEntries(reader, writer, params) ? '(none: entries come with their own key; other records are refused)' : '(none)');
    if (from === 'entry' && to === 'row') out.key_template = p.key_template || `(none: the whole key goes to column "${p.key_column || 'key'}")`;
  }
  out.value_format = p.value_format;
  if (p.ttl_seconds) out.ttl_seconds = String(p.ttl_seconds);
  if (p.ttl_column) out.ttl_column = p.ttl_column;
  if (p.expire_at_column) out.expire_at_column = p.expire_at_column;
  return out;
}

/**
 * Check before anything runs that every kind the reader emits reaches the writer, and that the
 * params a mapping needs are there.
 * @throws TaskError with one line naming the task, the stores and the missing piece
 */
export function checkBridge(reader: Plugin, writer: Plugin, task: TaskRow, params: TaskParams, label = `task ${task.id}`): void {
  const flow = `${task.from_db_type}->${task.to_db_type}`;
  for (const kind of readKinds(reader, params)) {
    const to = targetKind(kind, writer);
    if (to === null) {
      throw new TaskError(`${label}: a ${flow} task cannot run: the reader gives ${kind} records, the writer takes ${writeKinds(writer).join('/')} records, and there is no mapping between them`);
    }
    if (kind === 'row' && to === 'entry' && mappingParams(params).value_format !== 'envelope') {
      const template = rowKeyTemplate(task, params);
      // A reader that also gives entries (items persisted with their envelope) needs a template
      // only for the plain rows it may meet; those are refused as they come (see createBridge).
      if (!template && givesEntries(reader, writer, params)) continue;
      if (!template) throw new TaskError(`${label}: a ${flow} task needs params.key_template (e.g. "user:{id}") or a to_table with {column} placeholders`);
      if (new KeyTemplate(template).columns.length === 0) throw new TaskError(`${label}: params.key_template "${template}" has no {column} placeholder`);
    }
    if (kind === 'entry' && to === 'row') {
      const template = mappingParams(params).key_template;
      if (template && new KeyTemplate(template).columns.length === 0) throw new TaskError(`${label}: params.key_template "${template}" has no {column} placeholder`);
    }
  }
}

/**
 * The converter a run applies to every read batch, or undefined when the writer takes every kind
 * the reader emits. Built once per run and thread (see `src/runtime/worker.ts`); call
 * {@link checkBridge} first, in the main thread.
 */
export function createBridge(reader: Plugin, writer: Plugin, readerCtx: PluginContext, writerCtx: PluginContext): BatchConverter | undefined {
  if (readKinds(reader, readerCtx.params).every((k) => writeKinds(writer).includes(k))) return undefined;
  let toEntry: RowToEntry | undefined;
  let toRow: EntryToRow | undefined;
  let warned = false;
  const where = `task ${writerCtx.task.id}`;
  const rowToEntry = (): RowToEntry => {
    if (toEntry) return toEntry;
    const template = rowKeyTemplate(writerCtx.task, writerCtx.params);
    if (!template && mappingParams(writerCtx.params).value_format !== 'envelope') {
      throw new WriteError(`${where}: the source holds a record without an entry envelope (not persisted by goshift), which has no key: set params.key_template (e.g. "user:{id}") to map such records to keys`);
    }
    toEntry = new RowToEntry(mappingParams(writerCtx.params), template);
    return toEntry;
  };
  // Deleted records carry only their key: map the key, never a value.
  const deletedKeys = (kind: RecordKind, to: RecordKind, deletes: SyncRecord[]): SyncRecord[] => {
    const out: SyncRecord[] = [];
    for (const record of deletes) {
      if (kind === 'row' && to === 'entry') {
        out.push(keyOnlyEntry(rowToEntry().keyOf(record)));
      } else if (kind === 'entry' && to === 'row') {
        toRow ??= new EntryToRow(mappingParams(writerCtx.params), writerCtx.params.columns);
        const row = toRow.keyRow(record as unknown as KvEntry);
        if (row) out.push(row);
      } else if (kind === 'entry' && to === 'object') {
        out.push({ key: entryObjectKey((record as unknown as KvEntry).key), body: Buffer.alloc(0) });
      } else if (kind === 'object' && to === 'entry') {
        out.push(keyOnlyEntry(entryKeyOfObject((record as unknown as ObjectRecord).key)));
      } else {
        throw new WriteError(`${where}: the writer cannot take deleted ${kind} records`);
      }
    }
    return out;
  };
  const convert: BatchConverter = (batch) => {
    const kind = batch.kind ?? 'row';
    const to = targetKind(kind, writer);
    if (to === kind) return { batch, skipped: 0 };
    if (kind === 'row' && to === 'entry') {
      const mapper = rowToEntry();
      const now = Date.now();
      let records: SyncRecord[];
      try {
        records = batch.records.map((row) => mapper.convert(row, now) as unknown as SyncRecord);
      } catch (err) {
        throw new WriteError(`${where}: ${(err as Error).message}`, { cause: err });
      }
      return { batch: { ...batch, kind: 'entry', records, columns: undefined }, skipped: 0 };
    }
    if (kind === 'entry' && to === 'row') {
      toRow ??= new EntryToRow(mappingParams(writerCtx.params), writerCtx.params.columns);
      const now = Date.now();
      const records: SyncRecord[] = [];
      const columns = new Set<string>();
      let skipped = 0;
      for (const record of batch.records) {
        const entry = record as unknown as KvEntry;
        if (entry.native || entry.chunk) throw new WriteError(`${where}: entry ${entry.key.toString()} carries a store-native payload, which cannot be mapped to a row`);
        if (isExpired(entry, now)) {
          skipped++;
          continue;
        }
        const row = toRow.convert(entry, now);
        if (!row) {
          if (!warned) writerCtx.logger.warn(`${where}: key ${entry.key.toString()} does not fit key_template "${mappingParams(writerCtx.params).key_template}"; keys that do not fit are skipped and counted as failed`);
          warned = true;
          skipped++;
          continue;
        }
        for (const k in row) columns.add(k);
        records.push(row);
      }
      // Rows carry the union of their columns (hashes may lack fields), so the writer inserts NULL
      // where a row has no such field instead of dropping other rows' columns.
      return { batch: { ...batch, kind: 'row', records, columns: [...columns] }, skipped };
    }
    if (kind === 'entry' && to === 'object') {
      // Each entry becomes one object: its key (see entryObjectKey), its envelope as the body.
      const now = Date.now();
      const records: SyncRecord[] = [];
      let skipped = 0;
      let bytes = 0;
      for (const record of batch.records) {
        const entry = record as unknown as KvEntry;
        if (entry.native || entry.chunk) throw new WriteError(`${where}: entry ${entry.key.toString()} carries a store-native payload, which has no portable envelope`);
        if (isExpired(entry, now)) {
          skipped++;
          continue;
        }
        const body = Buffer.from(encodeEnvelope(entry), 'utf8');
        bytes += body.length;
        const object: ObjectRecord = { key: entryObjectKey(entry.key), body, metadata: { 'content-type': 'application/json', 'goshift-envelope': '1' } };
        records.push(object as unknown as SyncRecord);
      }
      return { batch: { ...batch, kind: 'object', records, columns: undefined, bytes: bytes || batch.bytes }, skipped };
    }
    if (kind === 'object' && to === 'entry') {
      // Each object's body is an envelope; entries whose expiry passed are skipped and counted.
      const now = Date.now();
      const records: SyncRecord[] = [];
      let skipped = 0;
      for (const record of batch.records) {
        const object = record as unknown as ObjectRecord;
        let entry: KvEntry;
        try {
          entry = decodeEnvelope(object.body);
        } catch (err) {
          throw new WriteError(`${where}: object ${object.key} is not a goshift entry envelope: ${(err as Error).message}`, { cause: err });
        }
        if (isExpired(entry, now)) {
          skipped++;
          continue;
        }
        records.push(entry as unknown as SyncRecord);
      }
      return { batch: { ...batch, kind: 'entry', records, columns: undefined }, skipped };
    }
    throw new WriteError(`${where}: the writer cannot take ${kind} records`);
  };
  return (batch) => {
    const out = convert(batch);
    if (!batch.deletes?.length || out.batch === batch) return out;
    let deletes: SyncRecord[];
    try {
      deletes = deletedKeys(batch.kind ?? 'row', out.batch.kind ?? 'row', batch.deletes);
    } catch (err) {
      throw err instanceof WriteError ? err : new WriteError(`${where}: ${(err as Error).message}`, { cause: err });
    }
    return { batch: { ...out.batch, deletes }, skipped: out.skipped };
  };
}

/** A deleted entry: its key, nothing else. */
function keyOnlyEntry(key: Buffer): SyncRecord {
  const entry: KvEntry = { key, type: 'string', value: Buffer.alloc(0), expireAt: null };
  return entry as unknown as SyncRecord;
}

/** A plugin flag that is either fixed or decided by the task's params. */
function flagFor(flag: boolean | ((params: TaskParams) => boolean) | undefined, params: TaskParams): boolean {
  return typeof flag === 'function' ? flag(params) : Boolean(flag);
}

/** Whether `writer` must not be given a record twice for these params (see {@link Plugin.appends}). */
export function writerAppends(writer: Plugin | undefined, params: TaskParams): boolean {
  return flagFor(writer?.appends, params);
}

/** Whether `writer`'s sessions can delete records for these params (see {@link WriterFactory.deletes}). */
export function writerDeletes(writer: Plugin | undefined, params: TaskParams): boolean {
  return flagFor(writer?.writer?.deletes, params);
}
