// goshift status page: keeps the server-rendered page current by polling the JSON API, and sends
// start/stop requests with the token kept in sessionStorage (never in the page or a cookie).
'use strict';
(function () {
  const body = document.body;
  const tokenInput = document.getElementById('token');
  const message = document.getElementById('message');
  const esc = (v) => String(v == null ? '' : v).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const token = () => sessionStorage.getItem('goshiftToken') || '';
  const say = (text, bad) => { message.textContent = text; message.className = bad ? 'err' : ''; };
  const showTokenState = () => { document.getElementById('token-state').textContent = token() ? 'token set for this tab' : 'no token: start and stop need one'; };
  tokenInput.value = token();
  showTokenState();
  document.getElementById('save-token').addEventListener('click', () => {
    sessionStorage.setItem('goshiftToken', tokenInput.value.trim());
    showTokenState();
  });

  async function api(method, path, payload) {
    const headers = { accept: 'application/json' };
    if (method !== 'GET') { headers.authorization = 'Bearer ' + token(); headers['content-type'] = 'application/json'; }
    const res = await fetch(path, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.status + ' ' + res.statusText);
    return data;
  }

  async function startRun(taskId) {
    try {
      say('starting a run of task ' + taskId + ' ...');
      const started = await api('POST', '/api/tasks/' + taskId + '/runs', {});
      location.href = '/runs/' + started.runId;
    } catch (err) { say(err.message, true); }
  }
  document.addEventListener('click', (ev) => {
    const id = ev.target && ev.target.getAttribute && ev.target.getAttribute('data-start');
    if (id) startRun(id);
  });

  const statusCell = (s) => '<span class="status-' + esc(s) + '">' + esc(s) + '</span>';

  async function pollIndex() {
    try {
      const [tasks, schedule] = await Promise.all([api('GET', '/api/tasks'), api('GET', '/api/schedule')]);
      document.querySelector('#tasks tbody').innerHTML = tasks.map((t) => {
        const last = t.lastRun ? '<a href="/runs/' + t.lastRun.id + '">run ' + t.lastRun.id + '</a> ' + statusCell(t.lastRun.status) + ' ' + esc(t.lastRun.endedAt || t.lastRun.startedAt || '') + ' (' + t.lastRun.rowsWritten + ' rows)' : '-';
        const sched = t.schedule ? esc(t.schedule) + ' <span class="muted">' + esc(t.scheduleError || 'next ' + (t.nextRun || 'never')) + '</span>' : '-';
        return '<tr id="task-' + t.id + '" data-task="' + t.id + '"><td>' + t.id + '</td><td>' + esc(t.from) + ' → ' + esc(t.to) + '<br><span class="muted">' + esc(t.description) + '</span></td><td>' +
          (t.online ? 'online' : 'offline') + '</td><td class="status-' + esc(t.statusName) + '">' + esc(t.statusName || t.taskStatus || '-') + '</td><td>' + last + '</td><td>' + sched +
          '</td><td><button type="button" data-start="' + t.id + '">Start run</button></td></tr>';
      }).join('');
      document.querySelector('#events tbody').innerHTML = schedule.events.map((e) =>
        '<tr><td>' + esc(e.at) + '</td><td>' + e.taskId + '</td><td class="status-' + (e.action === 'started' ? 'running' : 'refused') + '">' + esc(e.action) + '</td><td>' +
        (e.runId ? '<a href="/runs/' + e.runId + '">run ' + e.runId + '</a>' : '') + '</td><td>' + esc(e.reason || '') + '</td></tr>').join('');
    } catch (err) { say('refresh failed: ' + err.message, true); }
  }

  async function pollRun() {
    const runId = body.getAttribute('data-run-id');
    try {
      const run = await api('GET', '/api/runs/' + runId);
      const set = (name, text) => { document.getElementById('f-' + name).textContent = text; };
      document.getElementById('bar').style.width = (run.percent || 0) + '%';
      set('percent', run.percent === null ? 'stream' : run.percent + '%');
      set('status', run.status);
      document.getElementById('f-status').className = 'status-' + run.status;
      set('ended', run.endedAt || '-');
      set('elapsed', run.elapsedSeconds.toFixed(1) + ' s');
      set('shards', run.shardsDone + '/' + run.shardsTotal);
      set('rows', run.rowsRead + ' / ' + run.rowsWritten + ' / ' + run.rowsFailed);
      set('rate', Math.round(run.rowsPerSec) + ' rows/s');
      set('eta', run.etaSeconds === null ? '-' : Math.round(run.etaSeconds) + ' s');
      set('lag', run.lagMs === null ? '-' : (run.lagMs / 1000).toFixed(1) + ' s');
      set('error', run.errorText || '');
      const history = await api('GET', '/api/tasks/' + run.taskId + '/runs');
      document.querySelector('#history tbody').innerHTML = history.map((r) =>
        '<tr><td><a href="/runs/' + r.id + '">' + r.id + '</a></td><td>' + statusCell(r.status) + '</td><td>' + esc(r.mode) + '</td><td>' + esc(r.startedAt) + '</td><td>' +
        esc(r.endedAt || '-') + '</td><td>' + r.rowsWritten + '</td><td class="err">' + esc(r.errorText || '') + '</td></tr>').join('');
    } catch (err) { say('refresh failed: ' + err.message, true); }
  }

  if (body.getAttribute('data-page') === 'run') {
    document.getElementById('stop').addEventListener('click', async () => {
      try {
        await api('POST', '/api/runs/' + body.getAttribute('data-run-id') + '/stop', {});
        say('stop requested: the run ends after its in-flight batches');
      } catch (err) { say(err.message, true); }
    });
    document.getElementById('start').addEventListener('click', () => startRun(body.getAttribute('data-task-id')));
    setInterval(pollRun, 1000);
    pollRun();
  } else {
    setInterval(pollIndex, 2000);
  }
})();
