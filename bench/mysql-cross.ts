/**
 * MySQL -> MySQL across servers: the `rows`-row orders table on the shared MariaDB (3306) copied to
 * a second, private MariaDB on a free loopback port (its own datadir, removed at the end), in one
 * run: goshift with its default params into an empty target table, goshift again into the now full
 * target (an upsert of every row), and mydumper | myloader (2 threads each) into an empty schema.
 * Every copy is checked against the source with CHECKSUM TABLE. Prints seconds, ratios, goshift's
 * peak RSS (VmHWM of the process: main and worker threads) and the machine load, since on a shared
 * machine only ratios within one run compare.
 *   node dist/bench/run.js mysql-cross [--rows N]     BENCH_PARAMS='{"worker_num":8}' overrides params
 *   BENCH_ONLY=goshift skips the peers (memory runs, e.g. --rows 10000000); BENCH_RSS_TRACE=1 prints
 *   goshift's RSS at each tenth of a run; BENCH_PARAMS_B='{...}' adds a second goshift variant;
 *   BENCH_ENV_B='NAME=value' sets environment variables for that second variant only;
 *   BENCH_SKIP_FULL=1 skips the copies into the full target; BENCH_NODE_FLAGS='--cpu-prof' passes
 *   node flags to goshift.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { DST, load, openCrossServer, resetTarget, settleTarget, SRC, setUpBenchTask } from './cross-server';
import { Measured, processCpuSeconds, timeCommand } from './measure';
import { checksum } from './mysql';

const META = 'goshift_bench_xmeta';
/** The params of the goshift docs' examples, run as a second variant in every cross-server bench. */
const USER_PARAMS = { worker_num: 8, read_batch: 5000, write_batch: 1000 };

/** CPU seconds of the source and the target server. */
interface ServerCpu {
  source: number;
  target: number;
}

/** Run the cross-server benchmark and print its table. */
export async function runMysqlCrossBench(rows: number, params: Record<string, unknown> = process.env.BENCH_PARAMS ? JSON.parse(process.env.BENCH_PARAMS) : {}): Promise<void> {
  const cross = await openCrossServer(rows);
  const { admin, expected, server } = cross;
  let target: mysql.Connection | undefined;
  try {
    target = await server.connect();
    const results: { name: string; m: Measured; servers: ServerCpu; load: string }[] = [];
    // CPU seconds both servers spent during one copy: on 2 cores they share the CPU with goshift.
    const serversCpu = (): ServerCpu => ({ source: processCpuSeconds(cross.sourcePid), target: processCpuSeconds(server.pid()) });
    const measure = async (name: string, run: () => Promise<Measured>): Promise<void> => {
      await settleTarget(target!);
      const before = serversCpu();
      const m = await run();
      const after = serversCpu();
      const servers = { source: after.source - before.source, target: after.target - before.target };
      const got = await checksum(target!, DST);
      if (got !== expected) throw new Error(`${name}: target checksum ${got} differs from source ${expected}`);
      results.push({ name, m, servers, load: load() });
      process.stdout.write(`  ${name}: ${m.seconds.toFixed(2)} s${m.peakMiB ? `, peak ${m.peakMiB.toFixed(0)} MiB, ${m.cpuSeconds!.toFixed(1)} CPU s` : ''}, servers ${servers.source.toFixed(1)} + ${servers.target.toFixed(1)} CPU s (load ${load()})\n`);
    };
    process.stdout.write(`cross-server copy: source 127.0.0.1:3306, target private MariaDB 127.0.0.1:${server.port} (load ${load()})\n`);

    const goshift = await setUpBenchTask(cross, META, params, 'cross-server benchmark', { nodeFlags: process.env.BENCH_NODE_FLAGS });
    // The peer runs first: it also warms both servers' buffer pools for goshift.
    if (process.env.BENCH_ONLY !== 'goshift') {
      const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-mydumper-'));
      fs.rmSync(dumpDir, { recursive: true });
      await resetTarget(target, false);
      await measure('mydumper | myloader (2 threads), empty target', () => timeCommand(
        `mydumper -h 127.0.0.1 -u root -B ${SRC} -T orders -t 2 -r 100000 -o ${dumpDir} -v 1 && myloader -h 127.0.0.1 -P ${server.port} -u root -d ${dumpDir} -B ${DST} -s ${SRC} -t 2 -o -v 1`,
      ));
      fs.rmSync(dumpDir, { recursive: true, force: true });
    }
    // BENCH_PARAMS_B: a second goshift variant (e.g. '{"load_data":false}'), right after the first,
    // so both meet about the same load.
    // BENCH_ENV_B='NAME=value,...': environment of the second variant only.
    const variants: [string, Record<string, unknown>, NodeJS.ProcessEnv][] = [['goshift', params, {}]];
    // Batch sizes a user copies from the docs must keep the fast path (issue 21): always beside the default.
    variants.push(['goshift w8 r5000 wb1000 (docs params)', { ...params, ...USER_PARAMS }, {}]);
    if (process.env.BENCH_PARAMS_B) {
      const env = Object.fromEntries((process.env.BENCH_ENV_B ?? '').split(',').filter(Boolean).map((kv) => kv.split('=', 2)));
      variants.push([`goshift ${process.env.BENCH_PARAMS_B}${process.env.BENCH_ENV_B ? ` ${process.env.BENCH_ENV_B}` : ''}`, JSON.parse(process.env.BENCH_PARAMS_B), env]);
    }
    for (const [name, p, env] of variants) {
      await admin.query(`UPDATE ${META}.task_def_sync_manager SET params = ? WHERE id = 1`, [JSON.stringify(p)]);
      await resetTarget(target, true);
      await measure(`${name}, empty target`, () => timeCommand(`${goshift} -id 1`, { trackMemory: true, env }));
      if (!process.env.BENCH_SKIP_FULL) await measure(`${name}, full target (upsert every row)`, () => timeCommand(`${goshift} -id 1`, { trackMemory: true, env }));
    }

    const peer = results.find((r) => r.name.startsWith('mydumper'));
    process.stdout.write(`\nMySQL -> MySQL across servers, ${rows} rows (~140 bytes each), all copies verified by CHECKSUM TABLE\n`);
    process.stdout.write(`${'method'.padEnd(62)}${'seconds'.padStart(9)}${'rows/s'.padStart(10)}${'vs mydumper'.padStart(13)}${'peak MiB'.padStart(10)}${'CPU s'.padStart(8)}${'src CPU'.padStart(9)}${'dst CPU'.padStart(9)}  load (1/5/15 min)\n`);
    for (const { name, m, servers, load: l } of results) {
      const ratio = peer ? `${(m.seconds / peer.m.seconds).toFixed(2)}x` : '-';
      process.stdout.write(`${name.padEnd(62)}${m.seconds.toFixed(2).padStart(9)}${Math.round(rows / m.seconds).toString().padStart(10)}${ratio.padStart(13)}${(m.peakMiB ? m.peakMiB.toFixed(0) : '-').padStart(10)}${(m.cpuSeconds !== undefined ? m.cpuSeconds.toFixed(1) : '-').padStart(8)}${servers.source.toFixed(1).padStart(9)}${servers.target.toFixed(1).padStart(9)}  ${l}\n`);
    }
    process.stdout.write(`(vs mydumper = time / mydumper+myloader time: below 1.00x means goshift was faster; ${os.cpus().length} cores, both servers on this machine;\n CPU s = goshift's own user+system CPU seconds, steadier than wall time on a loaded machine; src/dst CPU = CPU seconds\n the source and target MariaDB used during the copy (the source's includes anything else it served meanwhile))\n`);
    process.stdout.write(`goshift params: ${JSON.stringify(params)}\n`);
  } finally {
    await target?.end().catch(() => undefined);
    await cross.close(META);
  }
}
