/**
 * `make bench`: goshift side by side with its peers, one store pair per section.
 *   node dist/bench/run.js [mysql] [mysql-cross] [redis] [s3dynamo] [redis-stream] [ddb-stream] [distributed] [--rows N] [--ddb-rows N] [--s3-keys N] [--stream-keys N] [--ddb-stream-items N]
 * `mysql-cross` copies between two MariaDB servers (a private one is started); `--rows` sizes the
 * mysql, mysql-cross and redis sections (default 1,000,000), `--ddb-rows` the DynamoDB half of
 * s3dynamo (default 100,000), `--s3-keys` its S3 half (default 3,000), `--stream-keys` the keys the
 * redis-stream section's load generator updates (default 100,000), `--ddb-stream-items` the items
 * of the ddb-stream section's DynamoDB Streams backlog (default 20,000).
 * Not a test: it prints times, ratios and goshift's peak memory.
 */
import { runDdbStreamBench } from './ddb-stream';
import { runDistributedBench } from './distributed';
import { runMysqlBench } from './mysql';
import { runMysqlCrossBench } from './mysql-cross';
import { runRedisBench } from './redis';
import { runRedisStreamBench } from './redis-stream';
import { DEFAULT_S3_KEYS, runS3DynamoBench } from './s3dynamo';

const SIZE_FLAGS = ['--rows', '--ddb-rows', '--s3-keys', '--stream-keys', '--ddb-stream-items'];

function size(args: string[], flag: string, fallback: number): number {
  const at = args.indexOf(flag);
  if (at < 0) return fallback;
  const n = Number(args[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${args[at + 1] ?? ''}"`);
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rows = size(args, '--rows', 1_000_000);
  const sections = args.filter((a, i) => !a.startsWith('--') && !SIZE_FLAGS.includes(args[i - 1]));
  const known = ['mysql', 'mysql-cross', 'redis', 's3dynamo', 'redis-stream', 'ddb-stream', 'distributed'];
  const unknown = sections.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}: use ${known.join(', ')}`);
  const want = (name: string) => sections.length === 0 || sections.includes(name);
  if (want('mysql')) await runMysqlBench(rows);
  if (want('mysql-cross')) await runMysqlCrossBench(rows);
  if (want('redis')) await runRedisBench(rows);
  if (want('s3dynamo')) await runS3DynamoBench(size(args, '--ddb-rows', 100_000), size(args, '--s3-keys', DEFAULT_S3_KEYS));
  if (want('redis-stream')) await runRedisStreamBench(size(args, '--stream-keys', 100_000));
  if (want('ddb-stream')) await runDdbStreamBench(size(args, '--ddb-stream-items', 20_000));
  // The queue's overhead is asked for by name only (it starts worker processes).
  if (sections.includes('distributed')) await runDistributedBench(rows);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
