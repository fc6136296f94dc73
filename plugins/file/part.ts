import fs from 'node:fs';
import path from 'node:path';
import stableStringify from 'fast-json-stable-stringify';
import type { JsonValue } from '../../src/sdk';

/** Pass to {@link PartFile.resume} when nothing more was read: keep all the journal vouches for. */
export const keepAll: unique symbol = Symbol('keepAll');

/** One journal line: the position of a written chunk's batch and the part's size after it. */
interface JournalEntry {
  p: JsonValue | null;
  s: number;
}

/** Where one shard's output lives. */
export interface PartPaths {
  /** The part being written: `.<name>.part-<shard>.tmp`. */
  tmp: string;
  /** Its journal: `.<name>.part-<shard>.journal`. */
  journal: string;
  /** Where `end` moves the part (the final file, or a finished part waiting to be merged). */
  done: string;
}

/**
 * The temp file of one shard and its journal. Every write appends self-contained bytes (a gzip
 * part gets one gzip member per write), so the part is valid at every write boundary. The journal
 * records, for every write, the reader's position of its batch and the part's size after it;
 * `flush` fsyncs the part, then appends the new journal lines and fsyncs them. So a saved position
 * always has a journal line saying how many bytes of the part hold exactly the rows up to it.
 */
export class PartFile {
  private pending: JournalEntry[] = [];

  private constructor(readonly paths: PartPaths, private fd: fs.promises.FileHandle, private journal: fs.promises.FileHandle, public size: number) {}

  /** A fresh, empty part (an older temp part and journal of the shard are discarded). */
  static async create(paths: PartPaths): Promise<PartFile> {
    await fs.promises.mkdir(path.dirname(paths.tmp), { recursive: true });
    const fd = await fs.promises.open(paths.tmp, 'w');
    const journal = await fs.promises.open(paths.journal, 'w');
    return new PartFile(paths, fd, journal, 0);
  }

  /**
   * Continue a shard after a resume or retry. The runtime reads on strictly after the last saved
   * position, which is the position of some journal line; `first` is the position of the first
   * batch read after it. When `first` is in the journal (the run stopped after flushing a batch but
   * before its position was saved), the part is cut to the size before that batch; otherwise to the
   * size of the last journal line (the last flushed, hence saved, batch). Without a temp part, a
   * finished part with a journal is taken back (the run stopped between moving it into place and
   * saving the shard as done); with neither, the part starts empty.
   * @param first position of the first batch of the resumed read; undefined when the reader gives
   *   none (the runtime then reads the shard from its start, so the part starts empty); {@link keepAll}
   *   when nothing more was read (keep everything the journal vouches for)
   */
  static async resume(paths: PartPaths, first: JsonValue | undefined | typeof keepAll): Promise<PartFile> {
    const exists = (p: string) => fs.promises.access(p).then(() => true, () => false);
    if (!(await exists(paths.tmp)) && (await exists(paths.journal)) && (await exists(paths.done))) await fs.promises.rename(paths.done, paths.tmp);
    if (!(await exists(paths.tmp)) || first === undefined) return PartFile.create(paths);
    const entries = await readJournal(paths.journal);
    const key = first === keepAll ? undefined : stableStringify(first);
    const at = key === undefined ? -1 : entries.findIndex((e) => stableStringify(e.p) === key);
    const keep = at >= 0 ? entries.slice(0, at) : entries;
    const size = keep.length ? keep[keep.length - 1].s : 0;
    const fd = await fs.promises.open(paths.tmp, 'r+');
    await fd.truncate(size);
    await fd.sync();
    await fs.promises.writeFile(paths.journal, keep.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const journal = await fs.promises.open(paths.journal, 'a');
    await journal.sync();
    return new PartFile(paths, fd, journal, size);
  }

  /** Append the bytes of one written chunk whose batch carries `position`. */
  async append(bytes: Buffer, position: JsonValue | undefined): Promise<void> {
    let done = 0;
    while (done < bytes.length) done += (await this.fd.write(bytes, done, bytes.length - done, this.size + done)).bytesWritten;
    this.size += bytes.length;
    this.pending.push({ p: position ?? null, s: this.size });
  }

  /** Make the part and its journal durable: part first, so the journal never claims unsynced bytes. */
  async flush(): Promise<void> {
    await this.fd.sync();
    if (this.pending.length === 0) return;
    await this.journal.write(this.pending.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.pending = [];
    await this.journal.sync();
  }

  /**
   * Close the part and move it into place atomically (rename in one directory, then fsync the
   * directory). The journal stays until the writer's `after` step, so a run stopped before the
   * shard was saved as done can still take the part back.
   */
  async finish(): Promise<void> {
    await this.flush();
    await this.fd.close();
    await this.journal.close();
    await fs.promises.rename(this.paths.tmp, this.paths.done);
    await syncDir(path.dirname(this.paths.done));
  }

  /** Close the handles without moving anything (a failed or abandoned shard). */
  async abandon(): Promise<void> {
    await this.fd.close().catch(() => undefined);
    await this.journal.close().catch(() => undefined);
  }
}

async function readJournal(file: string): Promise<JournalEntry[]> {
  const text = await fs.promises.readFile(file, 'utf8').catch(() => '');
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      break; // a line torn by a crash: everything before it was synced
    }
  }
  return out;
}

/** fsync a directory, so a rename in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await fs.promises.open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}
