/**
 * goshift as an npm package: `npm pack` of the built tree, `npm install -g` of the tarball into a
 * throwaway prefix (dependencies from the registry, as on a user's machine), then the installed
 * `goshift` answers `--help`, runs `init-db` against the local MariaDB, and ships its `etc/` examples.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GoshiftTestEnv, repoRoot } from '../support/goshift-env';

const run = promisify(execFile);

describe('npm package', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-pack-'));
  const prefix = path.join(work, 'prefix');
  const env = new GoshiftTestEnv();
  let tarball = '';
  let goshiftBin = '';

  beforeAll(async () => {
    await env.reconnect();
    // --ignore-scripts: the tree is built already (`make test` builds first); prepack would rebuild it.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repoRoot, maxBuffer: 64 << 20 });
    tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
    await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: work, timeout: 300_000, maxBuffer: 64 << 20 });
    goshiftBin = path.join(prefix, 'bin', 'goshift');
  }, 360_000);

  afterAll(async () => {
    await env.admin.query(`DROP DATABASE IF EXISTS \`${env.metaDb}\``);
    await env.admin.end();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(env.configDir, { recursive: true, force: true });
  });

  it('holds the runtime, not the tests or the test-only dependencies', async () => {
    const list = await run('tar', ['-tzf', tarball]);
    const files = list.stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/src/cli.js');
    expect(files).toContain('package/dist/src/runtime/worker.js');
    expect(files).toContain('package/sql/0001_task_def_sync_manager.sql');
    expect(files).toContain('package/etc/prod.example.json');
    expect(files.filter((f) => f.startsWith('package/test/') || f.startsWith('package/dist/test/'))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(prefix, 'lib', 'node_modules', 'goshift', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; private?: boolean };
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).not.toContain('playwright-core');
    expect(fs.existsSync(path.join(prefix, 'lib', 'node_modules', 'goshift', 'node_modules', 'playwright-core'))).toBe(false);
  });

  it('installs a goshift that prints its help and creates the metadata tables', async () => {
    const help = await run(goshiftBin, ['--help'], { cwd: work });
    expect(help.stdout).toMatch(/goshift/);
    expect(help.stdout).toMatch(/init-db/);

    fs.writeFileSync(path.join(env.configDir, 'pkg.json'), JSON.stringify({
      task_meta: { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: env.metaDb },
      log: { level: 'info', dir: path.join(env.configDir, 'logs') },
      from: {}, to: {},
    }));
    const init = await run(goshiftBin, ['init-db', '-c', env.configDir, '-e', 'pkg'], { cwd: work });
    expect(init.stderr + init.stdout).toMatch(/applied 0001_task_def_sync_manager\.sql/);
    const [rows] = await env.admin.query('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [env.metaDb, 'task_def_sync_manager']);
    expect(Number((rows as { n: string }[])[0].n)).toBe(1);

    const tasks = await run(goshiftBin, ['tasks', '-c', env.configDir, '-e', 'pkg'], { cwd: work });
    expect(tasks.stdout).toMatch(/no tasks|id\s+online/);
  });

  it('ships the example configs beside the CLI', () => {
    const etc = path.join(prefix, 'lib', 'node_modules', 'goshift', 'etc');
    expect(fs.readdirSync(etc).sort()).toEqual(['local.json', 'prod.example.json']);
    expect(() => JSON.parse(fs.readFileSync(path.join(etc, 'prod.example.json'), 'utf8'))).not.toThrow();
  });
});
