import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { WriteError } from '../../src/sdk';
import { encodeCsvHeader } from '../../src/sdk/formats';
import { syncDir } from './part';
import { csvHeader } from './reader';
import type { TargetLayout } from './target';

const exists = (p: string) => fs.promises.access(p).then(() => true, () => false);

/**
 * After the last shard: a file target gets its finished parts joined into the one file it names;
 * a directory target only loses the journals of its finished parts.
 */
export async function finishTarget(layout: TargetLayout): Promise<void> {
  if (layout.name) await joinParts(layout);
  else await removeJournals(layout.dir, (n) => /^\.part-.*\.journal$/.test(n));
}

async function removeJournals(dir: string, match: (name: string) => boolean): Promise<void> {
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    if (match(name)) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}

/**
 * Join the finished parts `.<name>.part-<shard>` into `<name>` in shard order (`r2` before `r10`),
 * atomically: into a temp file, fsync, rename. A csv part's header is kept from the first part
 * only (every part must have the same columns); gzip parts are gzip members, which concatenate into
 * one valid gzip file. The list of parts is saved first (`.<name>.merge.json`), so a run stopped
 * half way through is finished by the next one instead of joining a partial set.
 */
async function joinParts(layout: TargetLayout): Promise<void> {
  const { dir, name, enc } = layout;
  const manifest = path.join(dir, `.${name}.merge.json`);
  const prefix = `.${name}.part-`;
  let parts: string[];
  if (await exists(manifest)) {
    parts = JSON.parse(await fs.promises.readFile(manifest, 'utf8')) as string[];
    const present = await Promise.all(parts.map((p) => exists(path.join(dir, p))));
    if (present.some((p) => !p)) return cleanUp(layout, parts, manifest);
  } else {
    parts = (await fs.promises.readdir(dir))
      .filter((n) => n.startsWith(prefix) && !n.endsWith('.tmp') && !n.endsWith('.journal'))
      .sort((a, b) => a.slice(prefix.length).localeCompare(b.slice(prefix.length), 'en', { numeric: true }));
    await fs.promises.writeFile(manifest, JSON.stringify(parts));
    await syncDir(dir);
  }
  const tmp = path.join(dir, `.${name}.merge.tmp`);
  const out = await fs.promises.open(tmp, 'w');
  let header: Buffer | undefined;
  let written = 0;
  try {
    for (const part of parts) {
      const file = path.join(dir, part);
      let start = 0;
      if (enc.format === 'csv') {
        const { columns } = await csvHeader(file, enc);
        if (columns.length === 0) continue;
        const text = Buffer.from(encodeCsvHeader(columns, enc.delimiter), 'utf8');
        const own = enc.gzip ? zlib.gzipSync(text) : text;
        const head = Buffer.alloc(own.length);
        const fd = await fs.promises.open(file, 'r');
        await fd.read(head, 0, own.length, 0).finally(() => fd.close());
        if (!head.equals(own)) throw new WriteError(`part ${part} does not start with the header goshift writes; remove it and run the task with --restart`);
        if (header && !header.equals(own)) throw new WriteError(`parts of ${name} have different columns (${part}); they cannot be joined into one csv file`);
        if (header) start = own.length;
        header ??= own;
      }
      for await (const chunk of fs.createReadStream(file, { start }) as AsyncIterable<Buffer>) {
        await out.write(chunk, 0, chunk.length, written);
        written += chunk.length;
      }
    }
    if (written === 0 && enc.gzip) {
      const empty = zlib.gzipSync(Buffer.alloc(0));
      await out.write(empty, 0, empty.length, 0);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.promises.rename(tmp, path.join(dir, name));
  await syncDir(dir);
  await cleanUp(layout, parts, manifest);
}

/** Remove joined parts, their journals, and the manifest (last). */
async function cleanUp(layout: TargetLayout, parts: string[], manifest: string): Promise<void> {
  for (const part of parts) {
    await fs.promises.rm(path.join(layout.dir, part), { force: true });
    await fs.promises.rm(path.join(layout.dir, `${part}.journal`), { force: true });
  }
  await fs.promises.rm(manifest, { force: true });
}
