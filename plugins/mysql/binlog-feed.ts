/**
 * The binlog feed of one table: `@vlasky/zongji` reads the server's row events from a position;
 * they become batches of upserts and deletes, each batch ending at a transaction boundary carrying
 * the position after it. The reader pauses while the queue is full (bounded memory).
 */
import type { Batch, PluginContext, ReadOptions } from '../../src/sdk';
import { ReadError } from '../../src/sdk';
import type { MysqlConnection } from './config';
import { entryPath } from './connection';
import { ChangeSet, FollowedTable } from './binlog-events';
import { BinlogPosition, describePosition } from './binlog-position';

/** Events queued before the reader pauses the binlog connection. */
const queueLimit = 20_000;
/** How long an idle feed waits before it hands over what it holds (ms). */
const idleMs = 200;

/** The part of a zongji event the feed looks at. */
interface FeedEvent {
  getEventName(): string;
  timestamp: number;
  rows?: Record<string, unknown>[] | { before: Record<string, unknown>; after: Record<string, unknown> }[];
  tableMap?: Record<number, { parentSchema: string; tableName: string }>;
  tableId?: number;
  schema?: string;
  query?: string;
}

/** The zongji instance as the feed uses it. */
interface Zongji {
  options: { filename?: string; position?: number };
  readonly gtidSet: string | undefined;
  connection: { pause(): void; resume(): void } | null;
  on(event: string, listener: (...args: never[]) => void): void;
  start(options: Record<string, unknown>): void;
  stop(): void;
}

/** Load the ESM-only library from this CommonJS build (tsc would turn `import()` into `require`). */
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: new (dsn: unknown) => Zongji }>;

/** A statement that changes the followed table's shape (or removes it). */
function isDdlOn(query: string, followed: FollowedTable): boolean {
  const q = query.replace(/\/\*.*?\*\//gs, ' ').trim();
  if (!/^(ALTER|DROP|TRUNCATE|RENAME|CREATE\s+OR\s+REPLACE)\s+TABLE\b/i.test(q)) return false;
  const name = followed.table.toLowerCase();
  return q.toLowerCase().split(/[\s,.`"();]+/).includes(name);
}

/**
 * Read the binlog from `start` (a transaction boundary) until `opts.signal` fires.
 * @throws ReadError on a DDL on the followed table, a purged position or a lost connection (with the driver's error as cause)
 */
export async function* followBinlog(ctx: PluginContext, followed: FollowedTable, start: BinlogPosition, opts: ReadOptions): AsyncIterable<Batch> {
  const conn = ctx.connection as unknown as MysqlConnection;
  const { default: ZongJi } = await importEsm('@vlasky/zongji');
  const zongji = new ZongJi({
    host: conn.socketPath ? undefined : conn.host, port: conn.port, socketPath: conn.socketPath || undefined,
    user: conn.user, password: conn.password, charset: 'utf8mb4_general_ci', connectTimeout: conn.connectTimeout,
    supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, jsonStrings: true, decimalNumbers: false, timezone: 'Z',
  });
  const queue: FeedEvent[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let paused = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  zongji.on('binlog', (e: FeedEvent) => {
    queue.push(e);
    if (queue.length >= queueLimit && !paused && zongji.connection) {
      paused = true;
      zongji.connection.pause();
    }
    notify();
  });
  zongji.on('error', (err: Error) => {
    failure ??= err;
    notify();
  });
  const onAbort = () => notify();
  opts.signal.addEventListener('abort', onAbort);
  // A server id of its own per task, so two feeds never replace each other's dump connection.
  const serverId = 1_000_000 + (ctx.task.id % 1_000_000);
  zongji.start({
    serverId, filename: start.file, position: start.pos,
    includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query'],
    includeSchema: { [followed.schema]: [followed.table] },
  });
  const changes = new ChangeSet(followed);
  let boundary: BinlogPosition = start;
  let saved: BinlogPosition = start;
  let changedAt = 0;
  let inTransaction = false;
  const batch = (withPosition: boolean): Batch => {
    const { records, deletes } = changes.take();
    const bytes = JSON.stringify(records).length + JSON.stringify(deletes).length;
    const out: Batch = { kind: 'row', records, bytes, columns: followed.columns, ...(deletes.length ? { deletes } : {}), ...(changedAt ? { changedAt } : {}) };
    if (withPosition) {
      out.position = boundary;
      saved = boundary;
    }
    return out;
  };
  try {
    while (!opts.signal.aborted) {
      if (failure) throw feedError(ctx, failure, saved);
      const e = queue.shift();
      if (paused && queue.length < queueLimit / 2 && zongji.connection) {
        paused = false;
        zongji.connection.resume();
      }
      if (!e) {
        const idle = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(true), idleMs);
          wake = () => {
            clearTimeout(t);
            resolve(false);
          };
        });
        if (idle && (changes.size > 0 || boundary !== saved) && !inTransaction) yield batch(true);
        continue;
      }
      const name = e.getEventName();
      if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
        inTransaction = true;
        const table = e.tableMap?.[e.tableId!];
        if (!table || table.parentSchema !== followed.schema || table.tableName !== followed.table) continue;
        for (const r of e.rows ?? []) {
          if (name === 'writerows') changes.upsert(r as Record<string, unknown>);
          else if (name === 'deleterows') changes.remove(r as Record<string, unknown>);
          else changes.update((r as { before: Record<string, unknown> }).before, (r as { after: Record<string, unknown> }).after);
        }
        changedAt = e.timestamp;
      } else if (name === 'xid' || name === 'query') {
        if (name === 'query' && e.query && isDdlOn(e.query, followed) && (e.schema === followed.schema || e.query.includes(followed.schema))) {
          throw new ReadError(`task ${ctx.task.id}: the followed table ${followed.schema}.${followed.table} was changed by a DDL statement while streaming: ${e.query.trim().slice(0, 200)} (at ${describePosition(boundary)}); goshift stops rather than apply rows of another shape: change the target to match, then rerun with --restart for a new snapshot`);
        }
        if (name === 'query' && /^\s*BEGIN\b/i.test(e.query ?? '')) continue;
        inTransaction = false;
        boundary = { file: zongji.options.filename ?? boundary.file, pos: zongji.options.position ?? boundary.pos, gtid: zongji.gtidSet ?? '' };
        if (changes.size >= opts.batchSize) yield batch(true);
      }
      // A transaction bigger than a batch: hand it over in parts, the position stays before it.
      if (changes.size >= 2 * opts.batchSize) yield batch(false);
    }
    if (changes.size > 0 && !inTransaction) yield batch(true);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    zongji.stop();
  }
}

/** The one line of a feed that failed: a purged position says so and offers `--restart`. */
function feedError(ctx: PluginContext, err: Error, at: BinlogPosition): ReadError {
  const where = entryPath(ctx, 'from');
  const errno = (err as { errno?: number }).errno;
  if (errno === 1236 || /purged|could not find first log file|binlog truncated|Could not find/i.test(err.message)) {
    return new ReadError(`task ${ctx.task.id}: the saved binlog position ${describePosition(at)} is no longer on mysql source ${where} (purged or lost); nothing was skipped: rerun with --restart for a new snapshot`);
  }
  return new ReadError(`task ${ctx.task.id}: reading the binlog of mysql source ${where} at ${describePosition(at)} failed: ${err.message}`, { cause: err });
}
