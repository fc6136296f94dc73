import { open, FileHandle, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes held in memory before the spool writes further bytes to its temp file. Default 16 MiB. */
const MEMORY_LIMIT = 16 * 1024 * 1024;

/**
 * Everything received on a replication link, taken off the socket at once so the master never
 * waits on goshift (a slow target would otherwise fill `client-output-buffer-limit replica` and
 * the master drops the link). Holds up to 16 MiB in memory and the rest in a temp file, so memory
 * stays bounded while the snapshot is loaded into a slow target; bytes come out in order.
 */
export class Spool {
  private memory: Buffer[] = [];
  private memoryBytes = 0;
  private file?: FileHandle;
  private dir?: string;
  private fileWritten = 0;
  private fileRead = 0;
  private queuedForFile = 0;
  private writing: Promise<void> = Promise.resolve();
  private waiter?: () => void;
  private ended = false;
  private failure?: Error;
  /** Bytes currently held on disk (for tests and logs). */
  get spooledBytes(): number {
    return this.fileWritten - this.fileRead;
  }

  /** Append received bytes. Never blocks the caller. */
  push(chunk: Buffer): void {
    if (this.queuedForFile > 0 || this.fileWritten > this.fileRead || this.memoryBytes + chunk.length > MEMORY_LIMIT) {
      this.queuedForFile++;
      this.writing = this.writing.then(() => this.toFile(chunk)).catch((err: Error) => this.fail(err)).finally(() => { this.queuedForFile--; });
    } else {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      this.wake();
    }
  }

  /** No more bytes will come; `error` when the link failed. */
  end(error?: Error): void {
    if (error && !this.failure) this.failure = error;
    this.ended = true;
    this.writing = this.writing.then(() => this.wake());
    this.wake();
  }

  /** The next received bytes in order, or undefined once ended and drained. Throws the link's error. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.memory.length) {
        const c = this.memory.shift() as Buffer;
        this.memoryBytes -= c.length;
        return c;
      }
      await this.writing;
      if (this.file && this.fileRead < this.fileWritten) return this.fromFile();
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  /** Remove the temp file. Idempotent. */
  async close(): Promise<void> {
    this.ended = true;
    this.wake();
    await this.writing.catch(() => undefined);
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private async toFile(chunk: Buffer): Promise<void> {
    if (!this.file) {
      this.dir = await mkdtemp(join(tmpdir(), 'goshift-replica-'));
      this.file = await open(join(this.dir, 'stream'), 'w+');
    }
    await this.file.write(chunk, 0, chunk.length, this.fileWritten);
    this.fileWritten += chunk.length;
    this.wake();
  }

  private async fromFile(): Promise<Buffer> {
    const n = Math.min(1024 * 1024, this.fileWritten - this.fileRead);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await (this.file as FileHandle).read(buf, 0, n, this.fileRead);
    this.fileRead += bytesRead;
    if (this.fileRead === this.fileWritten) {
      // Drained: start the file over so it never grows past what is waiting.
      this.writing = this.writing.then(async () => {
        if (this.fileRead === this.fileWritten && this.file) {
          await this.file.truncate(0);
          this.fileRead = 0;
          this.fileWritten = 0;
        }
      });
    }
    return buf.subarray(0, bytesRead);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
