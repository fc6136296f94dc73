/**
 * The routes of `goshift serve`: JSON API, status pages, `/metrics` and `/healthz`. Reads are open;
 * every request that changes state needs the bearer token of `serve.token`.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { GoshiftConfig } from '../config/schema';
import { GoshiftError } from '../errors';
import type { MetaDb } from '../meta/meta-db';
import { RunQueries } from '../meta/run-queries';
import { readDefinitionObject } from '../meta/task-def';
import { checkTaskRow } from '../meta/task-row-check';
import { TaskStore } from '../meta/task-store';
import { addTaskDefinition, editTaskDefinition } from '../meta/task-write';
import { packageRoot } from '../paths';
import { resolveJob, runModes } from '../runtime/job-spec';
import { requireToken } from './auth';
import { HttpError, readJsonBody, sendJson, sendText } from './http';
import type { GoshiftMetrics } from './metrics';
import { indexPage, runPage } from './pages';
import type { RunLauncher } from './run-launcher';
import { RunViews } from './run-view';
import type { Scheduler } from './scheduler';
import { listTaskViews, taskDetail } from './task-view';

/** What the routes work with. */
export interface ServeContext {
  config: GoshiftConfig;
  meta: MetaDb;
  launcher: RunLauncher;
  metrics: GoshiftMetrics;
  /** Absent when the scheduler is off. */
  scheduler?: Scheduler;
}

type Handler = (ctx: ServeContext, req: IncomingMessage, res: ServerResponse, ids: number[]) => Promise<void>;

/** One route: method, path pattern (`:id` = a positive integer), whether it changes state, handler. */
interface Route {
  method: string;
  pattern: RegExp;
  changes: boolean;
  handle: Handler;
}

const route = (method: string, pathPattern: string, changes: boolean, handle: Handler): Route => ({
  method, changes, handle, pattern: new RegExp(`^${pathPattern.replace(/:id/g, '(\\d+)')}$`),
});

const assetFile = path.join(packageRoot, 'src', 'serve', 'assets', 'app.js');

/** Every route, in the order the README lists them. */
export const routes: Route[] = [
  route('GET', '/', false, async (ctx, _req, res) => {
    sendText(res, 200, 'text/html; charset=utf-8', indexPage(await listTaskViews(ctx.meta), ctx.scheduler?.events() ?? [], Boolean(ctx.scheduler)));
  }),
  route('GET', '/runs/:id', false, async (ctx, _req, res, [id]) => {
    const views = new RunViews(ctx.meta);
    const run = await views.get(id);
    sendText(res, 200, 'text/html; charset=utf-8', runPage(run, await views.history(run.taskId)));
  }),
  route('GET', '/assets/app.js', false, async (_ctx, _req, res) => {
    sendText(res, 200, 'text/javascript; charset=utf-8', await fs.promises.readFile(assetFile, 'utf8'));
  }),
  route('GET', '/healthz', false, async (ctx, _req, res) => {
    try {
      await new RunQueries(ctx.meta).ping();
      sendJson(res, 200, { status: 'ok', metaDb: 'ok' });
    } catch (err) {
      sendJson(res, 503, { status: 'error', metaDb: `metadata database (task_meta) does not answer: ${(err as Error).message}` });
    }
  }),
  route('GET', '/metrics', false, async (ctx, _req, res) => {
    await ctx.metrics.refresh();
    sendText(res, 200, ctx.metrics.registry.contentType, await ctx.metrics.registry.metrics());
  }),
  route('GET', '/api/tasks', false, async (ctx, _req, res) => sendJson(res, 200, await listTaskViews(ctx.meta))),
  route('POST', '/api/tasks', true, async (ctx, req, res) => {
    const given = readDefinitionObject(await readJsonBody(req), 'POST /api/tasks');
    if (given.id !== undefined) throw new HttpError(400, `POST /api/tasks gives new tasks their id; drop "id" (PATCH /api/tasks/${given.id} changes task ${given.id})`);
    const id = await addTaskDefinition(ctx.config, new TaskStore(ctx.meta), given, 'POST /api/tasks');
    sendJson(res, 201, { id, task: await taskDetail(ctx.meta, id) });
  }),
  route('GET', '/api/tasks/:id', false, async (ctx, _req, res, [id]) => {
    const task = await taskDetail(ctx.meta, await existingTask(ctx, id));
    const view = (await listTaskViews(ctx.meta)).find((t) => t.id === id);
    sendJson(res, 200, { ...view, definition: task, scheduleEvents: ctx.scheduler?.events(id).slice(0, 50) ?? [] });
  }),
  route('PATCH', '/api/tasks/:id', true, async (ctx, req, res, [id]) => {
    await existingTask(ctx, id);
    const given = readDefinitionObject(await readJsonBody(req), `PATCH /api/tasks/${id}`);
    await editTaskDefinition(ctx.config, new TaskStore(ctx.meta), id, given, `PATCH /api/tasks/${id}`);
    sendJson(res, 200, { id, task: await taskDetail(ctx.meta, id) });
  }),
  route('GET', '/api/tasks/:id/runs', false, async (ctx, req, res, [id]) => {
    await existingTask(ctx, id);
    const limit = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be a whole number from 1 to 1000');
    sendJson(res, 200, await new RunViews(ctx.meta).history(id, limit));
  }),
  route('POST', '/api/tasks/:id/runs', true, async (ctx, req, res, [id]) => {
    await existingTask(ctx, id);
    const opts = startOptions(await readJsonBody(req), id);
    // Checked as the run will check it (params, plugins, connections, online), so bad input is a 400 here.
    resolveJob(ctx.config, checkTaskRow(await new TaskStore(ctx.meta).getUnchecked(id)), { force: opts.force });
    const started = await ctx.launcher.start({ taskId: id, ...opts });
    sendJson(res, 202, { runId: started.runId, status: started.status, pid: started.pid, progress: `/api/runs/${started.runId}`, page: `/runs/${started.runId}` });
  }),
  route('GET', '/api/runs/:id', false, async (ctx, _req, res, [id]) => {
    const views = new RunViews(ctx.meta);
    const run = await views.get(id);
    sendJson(res, 200, { ...run, shards: await views.shards(id), exitCode: ctx.launcher.exitCodeOf(id) ?? null });
  }),
  route('POST', '/api/runs/:id/stop', true, async (ctx, _req, res, [id]) => {
    const stopped = await ctx.launcher.stop(id);
    sendJson(res, 202, { ...stopped, stopping: true });
  }),
  route('GET', '/api/schedule', false, async (ctx, _req, res) => {
    sendJson(res, 200, { scheduler: Boolean(ctx.scheduler), scheduled: ctx.scheduler?.scheduled() ?? [], events: ctx.scheduler?.events() ?? [] });
  }),
];

/** Answer one request: find its route, check the token when it changes state, map errors to a status. */
export async function handleRequest(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const matches = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
  if (!matches.length) throw new HttpError(404, `no such path: ${url.pathname} (the API lives under /api: /api/tasks, /api/runs/<id>, /api/schedule)`);
  const found = matches.find((x) => x.r.method === req.method);
  if (!found) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname} (allowed: ${matches.map((x) => x.r.method).join(', ')})`);
  if (found.r.changes) requireToken(req, ctx.config.serve.token, ctx.config.source);
  const ids = found.m!.slice(1).map(Number);
  await found.r.handle(ctx, req, res, ids);
}

/** Status of an error thrown while answering: its own for HttpError, 400 for goshift's bad input. */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof GoshiftError) return 400;
  return 500;
}

/**
 * @throws HttpError 404 when no task has this id
 */
async function existingTask(ctx: ServeContext, id: number): Promise<number> {
  const [rows] = await ctx.meta.query('SELECT id FROM task_def_sync_manager WHERE id = ?', [id]);
  if (!(rows as unknown[]).length) throw new HttpError(404, `task ${id} not found in task_def_sync_manager`);
  return id;
}

/** The body of `POST /api/tasks/<id>/runs`: `{"mode": "init"|"incr"|"stream", "force": bool, "restart": bool}`, all optional. */
function startOptions(body: unknown, id: number): { mode: string; force: boolean; restart: boolean } {
  const where = `POST /api/tasks/${id}/runs`;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, `${where}: the body must be a JSON object such as {"mode": "init"}`);
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !['mode', 'force', 'restart'].includes(k));
  if (unknown) throw new HttpError(400, `${where}: "${unknown}" is not an option (options: mode, force, restart)`);
  const mode = b.mode ?? 'init';
  if (typeof mode !== 'string' || !(runModes as readonly string[]).includes(mode)) throw new HttpError(400, `${where}: mode must be one of ${runModes.join(', ')}, got ${JSON.stringify(mode)}`);
  for (const k of ['force', 'restart'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw new HttpError(400, `${where}: ${k} must be true or false, got ${JSON.stringify(b[k])}`);
  }
  return { mode, force: b.force === true, restart: b.restart === true };
}
