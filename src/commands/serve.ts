import type { ServeCommandOptions, CommonOptions } from '../cli-args';
import { UsageError } from '../errors';
import { openMetaDb } from '../meta/meta-db';
import { createMetrics } from '../serve/metrics';
import { RunLauncher } from '../serve/run-launcher';
import { Scheduler } from '../serve/scheduler';
import { startServer } from '../serve/server';
import { setupCommand } from './setup';

/**
 * `goshift serve`: the status page, JSON API, `/metrics` and `/healthz` on one HTTP server, and the
 * scheduler. Runs until SIGINT/SIGTERM; then it stops scheduling, interrupts the runs it started
 * (they end `cancelled`, as on Ctrl-C) and exits 0.
 * @returns the process exit code
 */
export async function serveCommand(opts: ServeCommandOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const host = opts.host ?? config.serve.host;
  const port = opts.port ?? config.serve.port;
  const meta = await openMetaDb(config);
  const launcher = new RunLauncher(config, meta, logger, opts.usedEnv);
  const scheduler = opts.scheduler ? new Scheduler(meta, launcher, logger, config.serve.scheduler_reload_seconds) : undefined;
  try {
    const server = await startServer({ config, meta, launcher, scheduler, metrics: createMetrics(meta, scheduler) }, host, port, logger).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`goshift serve: cannot listen on ${host}:${port}: ${err.code ?? err.message} (set serve.host / serve.port in ${config.source}, or pass --host / --port)`, { cause: err });
    });
    if (!['127.0.0.1', '::1', 'localhost'].includes(host)) logger.warn(`serve: bound to ${host}, not loopback: other machines can read the page, the API and /metrics (changes still need serve.token)`);
    if (!config.serve.token) logger.warn(`serve: no serve.token in ${config.source}: the page and API are read-only (set "serve": {"token": "\${GOSHIFT_SERVE_TOKEN:-}"})`);
    await scheduler?.start();
    // The address on stdout, for scripts and tests that pass --port 0.
    process.stdout.write(`goshift serve: listening on ${server.url}\n`);
    await untilSignal();
    logger.info('serve: shutting down: no new runs; interrupting the runs started here');
    scheduler?.close();
    await server.close();
    await launcher.close();
    return 0;
  } finally {
    scheduler?.close();
    await meta.end();
  }
}

/**
 * `goshift scheduler`: only the scheduler (no HTTP server). Runs until SIGINT/SIGTERM, then
 * interrupts the runs it started and exits 0.
 */
export async function schedulerCommand(opts: CommonOptions): Promise<number> {
  const { config, logger } = setupCommand(opts);
  const meta = await openMetaDb(config);
  const launcher = new RunLauncher(config, meta, logger, opts.usedEnv);
  const scheduler = new Scheduler(meta, launcher, logger, config.serve.scheduler_reload_seconds);
  try {
    await scheduler.start();
    process.stdout.write(`goshift scheduler: ${scheduler.scheduled().length} scheduled task(s); re-reading the task table every ${config.serve.scheduler_reload_seconds} s\n`);
    await untilSignal();
    scheduler.close();
    await launcher.close();
    return 0;
  } finally {
    scheduler.close();
    await meta.end();
  }
}

/** Resolve on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
