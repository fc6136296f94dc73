/**
 * The status page in a real browser: Debian's chromium (/usr/bin/chromium, installed by
 * scripts/services.sh) driven by playwright-core, no browser download. Loads the task list, enters
 * the token, starts a mysql->mysql run, and watches its page go from partial progress to 100% and
 * success. Screenshots go to test-artifacts/serve/ (gitignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { GoshiftTestEnv, repoRoot } from '../support/goshift-env';
import { startServe, ServeProcess } from '../support/serve';

const token = 'browser-test-token';
const artifacts = path.join(repoRoot, 'test-artifacts', 'serve');

describe('goshift serve: status page in chromium', () => {
  let env: GoshiftTestEnv;
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    env.writeConfig({ serve: { token } });
    fs.mkdirSync(artifacts, { recursive: true });
  });
  afterEach(async () => {
    await browser?.close();
    await serve?.stop();
    await env.cleanup();
  });

  test('start a run from the page and watch its progress reach 100% and success', async () => {
    const rows = 120_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, pad char(20) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq * 3, 'abcdefghij' FROM seq_1_to_${rows}`);
    await env.sql('CREATE TABLE dst LIKE src');
    // Paced to about 6 s so the page shows progress between heartbeats (every 3 s).
    const id = await env.addTask({
      from_table: 'src', to_table: 'dst', task_desc: 'browser test copy',
      params: { worker_num: 2, shard_rows: 12_000, read_batch: 2000, direct_copy: false, max_rows_per_sec: 20_000 },
    });
    serve = await startServe(env, ['--no-scheduler']);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });

    await page.goto(`${serve.url}/`);
    await page.locator(`tr[data-task="${id}"]`).waitFor();
    expect(await page.locator(`tr[data-task="${id}"]`).innerText()).toContain('browser test copy');
    await page.screenshot({ path: path.join(artifacts, '1-tasks.png'), fullPage: true });

    // Without the token the start is refused, and the page says why.
    await page.click(`button[data-start="${id}"]`);
    await page.locator('#message', { hasText: 'Authorization: Bearer' }).waitFor();

    await page.fill('#token', token);
    await page.click('#save-token');
    await page.click(`button[data-start="${id}"]`);
    await page.waitForURL(/\/runs\/\d+$/);
    const runId = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
    expect(await env.lastRun(id)).toMatchObject({ id: String(runId) });

    // Watch the percent the page shows until the run ends.
    const seen = new Set<string>();
    let partialShot = false;
    for (;;) {
      const percent = await page.locator('#f-percent').innerText();
      const status = await page.locator('#f-status').innerText();
      seen.add(percent);
      const n = parseInt(percent, 10);
      if (!partialShot && n > 0 && n < 100) {
        await page.screenshot({ path: path.join(artifacts, '2-run-in-progress.png'), fullPage: true });
        partialShot = true;
      }
      if (status !== 'running') break;
      await page.waitForTimeout(250);
    }
    await page.locator('#f-percent', { hasText: '100%' }).waitFor();
    await page.screenshot({ path: path.join(artifacts, '3-run-done.png'), fullPage: true });
    expect(await page.locator('#f-status').innerText()).toBe('success');
    expect(await page.locator('#f-rows').innerText()).toBe(`${rows} / ${rows} / 0`);
    expect([...seen].some((p) => parseInt(p, 10) > 0 && parseInt(p, 10) < 100)).toBe(true);
    expect(await page.locator('#history tbody tr').first().innerText()).toContain('success');
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM dst');
    expect(Number(n)).toBe(rows);
    expect(await env.taskStatus(id)).toBe('4');
  });
});
