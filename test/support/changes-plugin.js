/**
 * A synthetic change feed for the stream runtime tests, loaded through the config's `plugins`
 * section. Plain CommonJS so worker threads can load it without a build step.
 *
 * Reader (`-mode stream` only): one unbounded shard that replays `<connection dir>/changes.json`,
 * a list of batches `{ "set": { "<key>": "<value>" }, "del": ["<key>"] }`, as key-value entries
 * (strings) and deletes, one batch every 100 ms with `changedAt` = now - 200 ms, then idles until
 * the run is stopped. Positions are the batch index, so a rerun continues after the last written
 * batch. With `params.scan_seconds` > 0 a bounded `scan` shard runs first (one entry, then a wait
 * of that long, as a slow first scan would) and the feed runs after it.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

const entry = (key, value) => ({ key: Buffer.from(key), type: 'string', value: Buffer.from(value ?? ''), expireAt: null });

class ChangesReader {
  constructor(ctx) {
    this.dir = ctx.connection.dir;
  }

  async *read(shard, opts) {
    if (shard.id === 'scan') {
      yield { kind: 'entry', records: [entry(`${shard.spec.scan}:scanned`, 'x')], bytes: 1, position: 0 };
      await sleep(Number(shard.spec.seconds) * 1000, opts.signal);
      return;
    }
    const batches = JSON.parse(fs.readFileSync(path.join(this.dir, 'changes.json'), 'utf8'));
    let i = typeof opts.from === 'number' ? opts.from + 1 : 0;
    for (; i < batches.length && !opts.signal.aborted; i++) {
      const b = batches[i];
      const records = Object.entries(b.set ?? {}).map(([k, v]) => entry(k, v));
      const deletes = (b.del ?? []).map((k) => entry(k));
      yield { kind: 'entry', records, deletes, bytes: 10 * (records.length + deletes.length), position: i, changedAt: Date.now() - 200 };
      await sleep(100, opts.signal);
    }
    while (!opts.signal.aborted) await sleep(100, opts.signal);
  }

  async close() {}
}

module.exports = {
  default: {
    type: 'changes',
    connectionSchema: { dir: { doc: 'Directory holding changes.json.', format: String, default: '' } },
    paramsSchema: { scan_seconds: { doc: 'Seconds a first scan shard waits before the feed (0: no scan shard).', format: 'nat', default: 0 } },
    reads: ['entry'],
    streams: true,
    reader: {
      async plan(ctx) {
        if (ctx.mode !== 'stream') return [];
        const seconds = ctx.params.scan_seconds;
        const feed = { id: 'feed', label: 'change feed', spec: { feed: ctx.task.from_table }, unbounded: true };
        if (!seconds) return [feed];
        return [{ id: 'scan', label: 'first scan', spec: { scan: ctx.task.from_table, seconds }, estimatedRows: 1 }, { ...feed, after: ['scan'] }];
      },
      async open(ctx) {
        return new ChangesReader(ctx);
      },
    },
  },
};
