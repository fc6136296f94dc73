/**
 * `make bench`: goshift side by side with its peers, one store pair per section.
 *   node dist/bench/run.js [mysql] [redis] [--rows N]
 * Not a test: it prints times, ratios and goshift's peak memory.
 */
import { runMysqlBench } from './mysql';
import { runRedisBench } from './redis';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsAt = args.indexOf('--rows');
  const rows = rowsAt >= 0 ? Number(args[rowsAt + 1]) : 1_000_000;
  const sections = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--rows');
  const want = (name: string) => sections.length === 0 || sections.includes(name);
  if (want('mysql')) await runMysqlBench(rows);
  if (want('redis')) await runRedisBench(rows);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
