/**
 * The status page of `goshift serve`: server-rendered HTML that `assets/app.js` keeps current by
 * polling the JSON API. No build step: plain HTML, one small script, inline CSS.
 */
import type { RunView } from './run-view';
import type { ScheduleEvent } from './scheduler';
import type { TaskView } from './task-view';

/** Escape text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const style = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
.bar{width:28rem;height:1.2rem;border:1px solid #888;background:#f3f3f3}.bar>div{height:100%;background:#3a7}
.err{color:#a00;white-space:pre-wrap}.muted{color:#777}#message{min-height:1.2rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
.status-success{color:#070}.status-failed,.status-died{color:#a00}.status-running{color:#05a}.status-cancelled,.status-refused{color:#a60}`;

/** The page frame: title, token box, message line. */
function frame(title: string, body: string, data: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${style}</style></head>
<body data-page="${esc(data.page)}" data-run-id="${esc(data.runId ?? '')}" data-task-id="${esc(data.taskId ?? '')}">
<p><a href="/">goshift</a> · <label>API token <input id="token" type="password" autocomplete="off" size="24"></label>
<button id="save-token" type="button">Use token</button> <span id="token-state" class="muted"></span></p>
<p id="message" role="status"></p>
${body}
<script src="/assets/app.js"></script>
</body></html>`;
}

/** One row of the task table (the script renders the same cells). */
function taskRow(t: TaskView): string {
  const last = t.lastRun ? `<a href="/runs/${t.lastRun.id}">run ${t.lastRun.id}</a> <span class="status-${esc(t.lastRun.status)}">${esc(t.lastRun.status)}</span> ${esc(t.lastRun.endedAt ?? t.lastRun.startedAt ?? '')} (${t.lastRun.rowsWritten} rows)` : '-';
  const schedule = t.schedule ? `${esc(t.schedule)} <span class="muted">${esc(t.scheduleError ?? `next ${t.nextRun ?? 'never'}`)}</span>` : '-';
  return `<tr id="task-${t.id}" data-task="${t.id}"><td>${t.id}</td><td>${esc(t.from)} → ${esc(t.to)}<br><span class="muted">${esc(t.description)}</span></td>
<td>${t.online ? 'online' : 'offline'}</td><td class="status-${esc(t.statusName)}">${esc(t.statusName || t.taskStatus || '-')}</td>
<td>${last}</td><td>${schedule}</td><td><button type="button" data-start="${t.id}">Start run</button></td></tr>`;
}

/** One row of the schedule event table. */
function eventRow(e: ScheduleEvent): string {
  const run = e.runId ? `<a href="/runs/${e.runId}">run ${e.runId}</a>` : '';
  return `<tr><td>${esc(e.at)}</td><td>${e.taskId}</td><td class="status-${e.action === 'started' ? 'running' : 'refused'}">${esc(e.action)}</td><td>${run}</td><td>${esc(e.reason ?? '')}</td></tr>`;
}

/** `/`: every task with status, last run and schedule; what the scheduler started and skipped. */
export function indexPage(tasks: TaskView[], events: ScheduleEvent[], schedulerOn: boolean): string {
  return frame('goshift: tasks', `
<h1>Tasks</h1>
<table id="tasks"><thead><tr><th>id</th><th>from → to</th><th>online</th><th>status</th><th>last run</th><th>schedule</th><th></th></tr></thead>
<tbody>${tasks.map(taskRow).join('\n')}</tbody></table>
<h2>Schedule</h2>
<p class="muted">${schedulerOn ? 'The scheduler runs in this server: due runs start here; a due time while the task still runs is skipped.' : 'The scheduler is off in this server.'}</p>
<table id="events"><thead><tr><th>due at</th><th>task</th><th>what happened</th><th>run</th><th>why</th></tr></thead>
<tbody>${events.map(eventRow).join('\n')}</tbody></table>`, { page: 'index' });
}

/** `/runs/<id>`: live progress of one run, its error text, and the task's run history. */
export function runPage(run: RunView, history: RunView[]): string {
  const field = (name: string, label: string, value: unknown): string => `<dt>${esc(label)}</dt><dd id="f-${name}">${esc(value)}</dd>`;
  return frame(`goshift: run ${run.id}`, `
<h1>Run ${run.id} of task <a href="/#task-${run.taskId}">${run.taskId}</a></h1>
<div class="bar"><div id="bar" style="width:${run.percent ?? 0}%"></div></div>
<p><span id="f-percent">${run.percent === null ? 'stream' : `${run.percent}%`}</span> · <span id="f-status" class="status-${esc(run.status)}">${esc(run.status)}</span>
<button type="button" id="stop">Stop run</button> <button type="button" id="start">Start another run</button></p>
<dl>
${field('mode', 'mode', run.mode)}${field('started', 'started', run.startedAt)}${field('ended', 'ended', run.endedAt ?? '-')}
${field('elapsed', 'elapsed', `${run.elapsedSeconds.toFixed(1)} s`)}${field('shards', 'shards', `${run.shardsDone}/${run.shardsTotal}`)}
${field('rows', 'rows read / written / failed', `${run.rowsRead} / ${run.rowsWritten} / ${run.rowsFailed}`)}
${field('rate', 'rate', `${Math.round(run.rowsPerSec)} rows/s`)}${field('eta', 'ETA', run.etaSeconds === null ? '-' : `${Math.round(run.etaSeconds)} s`)}
${field('lag', 'stream lag', run.lagMs === null ? '-' : `${(run.lagMs / 1000).toFixed(1)} s`)}${field('process', 'process', `pid ${run.pid} on ${run.host}`)}
</dl>
<p id="f-error" class="err">${esc(run.errorText ?? '')}</p>
<h2>History of task ${run.taskId}</h2>
<table id="history"><thead><tr><th>run</th><th>status</th><th>mode</th><th>started</th><th>ended</th><th>rows written</th><th>error</th></tr></thead>
<tbody>${history.map(historyRow).join('\n')}</tbody></table>`, { page: 'run', runId: run.id, taskId: run.taskId });
}

function historyRow(r: RunView): string {
  return `<tr><td><a href="/runs/${r.id}">${r.id}</a></td><td class="status-${esc(r.status)}">${esc(r.status)}</td><td>${esc(r.mode)}</td><td>${esc(r.startedAt)}</td><td>${esc(r.endedAt ?? '-')}</td><td>${r.rowsWritten}</td><td class="err">${esc(r.errorText ?? '')}</td></tr>`;
}
