import fs from 'node:fs';
import path from 'node:path';
import type { TaskCommandOptions } from '../cli-args';
import type { GoshiftConfig } from '../config/schema';
import { TaskError, UsageError } from '../errors';
import { MetaDb, openMetaDb } from '../meta/meta-db';
import {
  checkDefinition, definitionOf, parseDefinitionFile, readDefinitionObject, TaskDefinition, toFileObject,
} from '../meta/task-def';
import { TaskStore } from '../meta/task-store';
import { addTaskDefinition, editTaskDefinition } from '../meta/task-write';
import { setupCommand } from './setup';

const statusNames: Record<string, string> = { '1': 'submitted', '2': 'running', '3': 'cancelled', '4': 'success', '5': 'failed' };

/**
 * `goshift task add|show|edit|enable|disable|rm|export|import`: manage task rows without SQL.
 * Definitions are checked the way a run checks them before anything is written.
 * @returns the process exit code
 */
export async function taskCommand(opts: TaskCommandOptions): Promise<number> {
  const { config } = setupCommand(opts);
  // Flags and files are read and checked before the metadata database is touched.
  const given = opts.action === 'add' || opts.action === 'edit' ? givenDefinition(opts) : undefined;
  const importing = opts.action === 'import' ? readImport(opts.path!) : undefined;
  const meta = await openMetaDb(config);
  try {
    const tasks = new TaskStore(meta);
    switch (opts.action) {
      case 'add': {
        const id = await addTaskDefinition(config, tasks, given!, 'task add');
        process.stdout.write(`${id}\n`);
        return 0;
      }
      case 'edit': {
        const id = opts.ids[0];
        await editTaskDefinition(config, tasks, id, given!, `task edit ${id}`);
        process.stderr.write(`task ${id} updated\n`);
        return 0;
      }
      case 'show': {
        const row = await tasks.getUnchecked(opts.ids[0]);
        process.stdout.write(opts.json ? `${JSON.stringify({ ...toFileObject(definitionOf(row)), task_status: row.task_status, create_time: row.create_time, update_time: row.update_time }, null, 2)}\n` : showText(row));
        return 0;
      }
      case 'enable':
      case 'disable': {
        const id = opts.ids[0];
        await tasks.setOnline(id, opts.action === 'enable' ? 1 : 0);
        process.stderr.write(`task ${id} is ${opts.action === 'enable' ? 'online (online_status=1)' : 'offline (online_status=0): runs refuse it unless --force'}\n`);
        return 0;
      }
      case 'rm': {
        const id = opts.ids[0];
        const row = await tasks.getUnchecked(id);
        if (!opts.yes) {
          throw new UsageError(`task rm deletes task ${id} (${row.from_db_type}:${row.from_app}_${row.from_db}.${row.from_table} -> ${row.to_db_type}:${row.to_app}_${row.to_db}.${row.to_table}) with its watermarks and resume positions: pass --yes to confirm`);
        }
        await tasks.remove(id);
        process.stderr.write(`task ${id} removed\n`);
        return 0;
      }
      case 'export':
        return await exportTasks(tasks, opts);
      case 'import':
        return await importTasks(config, meta, tasks, importing!);
    }
  } finally {
    await meta.end();
  }
}

/** The columns `add`/`edit` were given: the `--file` object, then the flags over it. */
function givenDefinition(opts: TaskCommandOptions): Partial<TaskDefinition> {
  let fromFile: Partial<TaskDefinition> = {};
  if (opts.file !== undefined) {
    if (/\.ya?ml$/i.test(opts.file)) parseDefinitionFile('', opts.file);
    const value = parseDefinitionFile(readText(opts.file), opts.file);
    fromFile = readDefinitionObject(value, opts.file);
    if (opts.action === 'add' && fromFile.id !== undefined) {
      throw new TaskError(`${opts.file}: task add gives new tasks their id; drop "id", or use \`goshift task import\` to create or update task ${fromFile.id}`);
    }
  }
  const flags: Partial<TaskDefinition> = {};
  for (const [column, value] of Object.entries(opts.fields)) (flags as Record<string, unknown>)[column] = value;
  if (typeof flags.params === 'string' && flags.params.trim() === '') flags.params = null;
  return { ...fromFile, ...flags };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

function showText(row: Awaited<ReturnType<TaskStore['getUnchecked']>>): string {
  const def = toFileObject(definitionOf(row));
  const lines = [
    `task ${row.id}: ${row.task_desc ?? ''}`,
    `  from     ${row.from_db_type} ${row.from_app}_${row.from_db} ${JSON.stringify(row.from_table)}   (config from.${row.from_db_type}.${row.from_app}_${row.from_db})`,
    `  to       ${row.to_db_type} ${row.to_app}_${row.to_db} ${JSON.stringify(row.to_table)}   (config to.${row.to_db_type}.${row.to_app}_${row.to_db})`,
    `  params   ${typeof def.params === 'string' ? def.params : JSON.stringify(def.params ?? {})}`,
    `  online   ${Number(row.online_status) === 1 ? 'yes (online_status=1)' : 'no (online_status=0)'}`,
    `  status   ${row.task_status ?? ''} ${statusNames[row.task_status ?? ''] ?? ''}`.trimEnd(),
    `  owner    ${row.owner ?? ''}`,
    `  created  ${row.create_time}, updated ${row.update_time}`,
  ];
  return lines.join('\n') + '\n';
}

/** `task export`: definitions as JSON, to stdout, one `.json` file, or one file per task in a directory. */
async function exportTasks(tasks: TaskStore, opts: TaskCommandOptions): Promise<number> {
  const rows = await tasks.list(opts.ids);
  const missing = opts.ids.filter((id) => !rows.some((r) => Number(r.id) === id));
  if (missing.length) throw new TaskError(`task ${missing.join(', ')} not found in task_def_sync_manager (list tasks with \`goshift tasks -e <env>\`)`);
  const objects = rows.map((r) => toFileObject(definitionOf(r)));
  const text = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  if (opts.out === undefined) {
    process.stdout.write(text(objects));
  } else if (/\.json$/i.test(opts.out) && !isDirectory(opts.out)) {
    fs.writeFileSync(opts.out, text(objects));
    process.stderr.write(`exported ${objects.length} task(s) to ${opts.out}\n`);
  } else {
    fs.mkdirSync(opts.out, { recursive: true });
    for (const o of objects) fs.writeFileSync(path.join(opts.out, `task-${o.id}.json`), text(o));
    process.stderr.write(`exported ${objects.length} task(s) to ${opts.out}${path.sep}task-<id>.json\n`);
  }
  return 0;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** One definition read for import, with where it came from. */
interface ImportItem {
  where: string;
  def: Partial<TaskDefinition>;
}

/** Read a task file (one object or a list) or every `*.json` file of a directory, in name order. */
function readImport(p: string): ImportItem[] {
  const files = isDirectory(p)
    ? fs.readdirSync(p).filter((f) => /\.json$/i.test(f)).sort().map((f) => path.join(p, f))
    : [p];
  if (!files.length) throw new UsageError(`task import: no .json files in ${p}`);
  const items: ImportItem[] = [];
  for (const file of files) {
    const value = parseDefinitionFile(readText(file), file);
    const list = Array.isArray(value) ? value : [value];
    list.forEach((v, i) => items.push({ where: Array.isArray(value) ? `${file}[${i}]` : file, def: readDefinitionObject(v, Array.isArray(value) ? `${file}[${i}]` : file) }));
  }
  const seen = new Map<number, string>();
  for (const item of items) {
    const id = item.def.id;
    if (id === undefined) continue;
    if (seen.has(id)) throw new TaskError(`task import: id ${id} appears twice (${seen.get(id)} and ${item.where})`);
    seen.set(id, item.where);
  }
  return items;
}

/**
 * `task import`: upsert definitions by id (a definition without id becomes a new task), all checked
 * first and written in one transaction: on any failure nothing changes. Run state (`task_status`,
 * watermarks, positions) of existing tasks is kept.
 */
async function importTasks(config: GoshiftConfig, meta: MetaDb, tasks: TaskStore, items: ImportItem[]): Promise<number> {
  const defs = items.map((item) => checkDefinition(config, item.def, item.def.id !== undefined ? `${item.where}: task ${item.def.id}` : item.where));
  const conn = await meta.getConnection();
  const report: string[] = [];
  try {
    await conn.query('START TRANSACTION');
    for (const def of defs) {
      if (def.id !== undefined && (await tasks.exists(def.id, conn))) {
        await tasks.update(def.id, def, conn);
        report.push(`updated ${def.id}`);
      } else {
        report.push(`created ${await tasks.insert(def, conn)}`);
      }
    }
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
  process.stdout.write(report.map((l) => `${l}\n`).join(''));
  return 0;
}
