/**
 * A synthetic store for runtime tests (contract v2 §5), loaded through the config's `plugins`
 * section. Plain CommonJS so worker threads can load it without a build step.
 *
 * Reader: `from_table` names a scenario. `feed` plans one unbounded shard (a change feed that
 * yields a batch of `feed_batch` rows every 50 ms until stopped), a bounded `parent` of
 * `parent_rows` rows and a `child` that must run `after` the parent; `discover` adds a `late`
 * shard (after `child`) once. Rows are `{ shard, n }`, positions the last `n` of a batch.
 * Writer: appends each row as a JSON line to `<connection dir>/<shard id>.ndjson`, writes the time
 * of a shard's first write to `<shard id>.start` and, at its `end`, to `<shard id>.end`; `fail_on` (a shard id) makes writes to it fail.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

const connectionSchema = { dir: { doc: 'Directory the writer appends to.', format: String, default: '' } };
const paramsSchema = {
  parent_rows: { doc: 'Rows of the parent and child shards.', format: 'nat', default: 300 },
  feed_batch: { doc: 'Rows per feed batch.', format: 'nat', default: 10 },
  fail_on: { doc: 'Shard id whose writes fail.', format: String, default: '' },
};

class MemoryReader {
  constructor(ctx) {
    this.ctx = ctx;
    this.closed = false;
  }

  async *read(shard, opts) {
    if (this.closed) throw new Error('memory reader session is closed');
    let n = typeof opts.from === 'number' ? opts.from : 0;
    if (shard.unbounded) {
      while (!opts.signal.aborted) {
        const records = [];
        for (let i = 0; i < this.ctx.params.feed_batch; i++) records.push({ shard: shard.id, n: ++n });
        yield { kind: 'row', records, bytes: records.length * 8, position: n };
        await sleep(50, opts.signal);
      }
      return;
    }
    const rows = Number(shard.spec.rows);
    while (n < rows && !opts.signal.aborted) {
      const records = [];
      while (records.length < opts.batchSize && n < rows) records.push({ shard: shard.id, n: ++n });
      yield { kind: 'row', records, bytes: records.length * 8, position: n };
      await sleep(5, opts.signal);
    }
  }

  async close() {
    this.closed = true;
  }
}

class MemoryWriter {
  constructor(ctx) {
    this.dir = ctx.connection.dir;
    this.failOn = ctx.params.fail_on;
    this.closed = false;
  }

  async write(batch, shard) {
    if (this.closed) throw new Error('memory writer session is closed');
    if (shard.id === this.failOn) throw new Error(`memory store refuses shard ${shard.id}`);
    const start = path.join(this.dir, `${shard.id}.start`);
    if (!fs.existsSync(start)) fs.writeFileSync(start, String(Date.now()));
    fs.appendFileSync(path.join(this.dir, `${shard.id}.ndjson`), batch.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return batch.records.length;
  }

  async flush() {}

  async end(shard) {
    fs.writeFileSync(path.join(this.dir, `${shard.id}.end`), String(Date.now()));
  }

  async close() {
    this.closed = true;
  }
}

let discovered = false;

module.exports = {
  default: {
    type: 'memory',
    connectionSchema,
    paramsSchema,
    reads: ['row'],
    writes: ['row'],
    reader: {
      async plan(ctx) {
        const rows = ctx.params.parent_rows;
        discovered = false;
        return [
          { id: 'feed', label: 'change feed', spec: { feed: ctx.task.from_table }, unbounded: true },
          { id: 'child', label: 'child', spec: { child: true, rows }, after: ['parent'], estimatedRows: rows },
          { id: 'parent', label: 'parent', spec: { parent: true, rows }, estimatedRows: rows },
        ];
      },
      async discover(ctx) {
        if (discovered) return [];
        discovered = true;
        return [{ id: 'late', label: 'late', spec: { late: true, rows: 20 }, after: ['child'], estimatedRows: 20 }];
      },
      async open(ctx) {
        return new MemoryReader(ctx);
      },
    },
    writer: {
      async open(ctx) {
        return new MemoryWriter(ctx);
      },
    },
  },
};
