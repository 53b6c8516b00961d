// recsim inspector: watches the mock server's calls through its event
// stream and draws each call's timeline. Plain ES module, no dependencies.
// The API it uses is described in docs/server.md; times are ms on the
// call's caller stream (docs/timeline.md).

const PAGE = 50;                 // calls per page (the API pages with top/skip)
const REFRESH_MS = 400;          // debounce of detail re-fetches: one per burst of stream events
const BACKOFF_MIN = 1000;        // stream reconnect back-off, doubling up to BACKOFF_MAX
const BACKOFF_MAX = 30000;
const ORIGIN_X = 96;             // px of ms 0 on the timeline (room for the lane labels)
const PAD_RIGHT = 16;
const WAVE_BLOCK_MS = 5;         // the caller waveform is reduced to min/max per 5 ms block
const TOKEN_KEY = 'recsim.controlToken';
const TERMINAL = new Set(['Completed', 'Failed']);

const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';

const st = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  tokenDeclined: false,
  calls: [], count: 0, skip: 0,
  open: '', call: null,
  ops: new Map(), entries: [], entryKeys: new Set(), notifs: new Map(),
  recordings: new Map(),        // opId -> {key, url}
  audio: { caller: null, outbound: null }, // object URLs
  audioDirty: { caller: false, outbound: false },
  wave: null,                   // {rate, ms, env: Float32Array of min,max pairs}
  lastEventId: '',
  openSeq: 0,                   // guards against a late answer for a call no longer open
};

// ---------- small DOM helpers ----------

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function sv(tag, attrs = {}, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function say(msg) { $('alert').textContent = ''; $('status').textContent = msg; }
function fail(msg) { $('status').textContent = ''; $('alert').textContent = msg; }
const fmtS = (ms) => (ms / 1000).toFixed(3);
const fmtTime = (t) => { if (!t) return '—'; const d = new Date(t); return isNaN(d) ? String(t) : d.toLocaleTimeString(); };
const show = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

// ---------- HTTP ----------

let tokenAsk = null;
// askToken opens the token dialog once for every request that met a 401
// meanwhile; it resolves to the token or '' when the person declines.
function askToken(rejected) {
  if (st.tokenDeclined) return Promise.resolve('');
  if (tokenAsk) return tokenAsk;
  const dlg = $('token-dialog'), form = $('token-form'), input = $('token-input');
  tokenAsk = new Promise((resolve) => {
    const done = (v) => {
      form.removeEventListener('submit', onSubmit); $('token-no').removeEventListener('click', onNo);
      dlg.removeEventListener('cancel', onNo);
      if (dlg.open) dlg.close();
      tokenAsk = null; resolve(v);
    };
    const onSubmit = (ev) => { ev.preventDefault(); done(input.value.trim()); };
    const onNo = (ev) => { ev.preventDefault(); st.tokenDeclined = true; fail('This server needs its control token; reload the page to enter it.'); done(''); };
    form.addEventListener('submit', onSubmit); $('token-no').addEventListener('click', onNo);
    dlg.addEventListener('cancel', onNo);
    input.value = '';
    $('token-h').textContent = rejected ? 'Control token (the last one was refused)' : 'Control token';
    dlg.showModal(); input.focus();
  });
  return tokenAsk;
}

function withAuth(opts, token) {
  const headers = new Headers(opts.headers || {});
  if (token) headers.set('Authorization', 'Bearer ' + token);
  return { ...opts, headers };
}

// control calls the simulation surface with the control token when the
// page has one; on a 401 it asks for the token and retries once.
async function control(path, opts = {}) {
  let res = await fetch(path, withAuth(opts, st.token));
  let rejected = !!st.token;
  for (let tries = 0; res.status === 401 && tries < 2; tries++) {
    const t = await askToken(rejected);
    if (!t) return res;
    st.token = t; sessionStorage.setItem(TOKEN_KEY, t);
    res = await fetch(path, withAuth(opts, t));
    if (res.status === 401) { st.token = ''; sessionStorage.removeItem(TOKEN_KEY); rejected = true; }
  }
  return res;
}

// graph calls the Graph surface; under the default auth any bearer works.
function graph(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Authorization': 'Bearer inspector', 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

// errorText reads a Graph-style error body, falling back to the status.
async function errorText(res) {
  let text = '';
  try { text = await res.text(); } catch { /* the status says enough */ }
  try {
    const j = JSON.parse(text);
    if (j && j.error) return `${j.error.message || 'error'}${j.error.code ? ` (${j.error.code})` : ''}`;
  } catch { /* not JSON */ }
  return `HTTP ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`;
}

async function getJSON(path) {
  const res = await control(path);
  if (!res.ok) throw new Error(`${path}: ${await errorText(res)}`);
  return res.json();
}

// ---------- the calls list ----------

async function loadList() {
  try {
    const j = await getJSON(`/recsim/v1/calls?top=${PAGE}&skip=${st.skip}`);
    st.calls = j.value || [];
    st.count = typeof j.count === 'number' ? j.count : st.calls.length;
    renderList();
  } catch (e) { fail(`Could not list the calls: ${e.message}`); }
}

function callRow(c) {
  const b = el('button', { type: 'button', class: 'call-row', 'data-call-id': c.id, 'aria-current': c.id === st.open ? 'true' : null },
    el('span', { class: 'cid', title: c.id, text: c.id }),
    el('span', { class: `state state-${c.state}`, 'data-field': 'state', text: c.state }),
    el('span', { class: 'sub', 'data-field': 'sub', text: `${c.direction || ''} · ${fmtTime(c.createdDateTime)}${c.endedDateTime ? ' – ' + fmtTime(c.endedDateTime) : ''}` }));
  b.addEventListener('click', () => openCall(c.id, true));
  return el('li', {}, b);
}

function renderList() {
  const ul = $('calls');
  const focused = document.activeElement?.getAttribute?.('data-call-id');
  ul.replaceChildren(...st.calls.map(callRow));
  if (focused) ul.querySelector(`[data-call-id="${CSS.escape(focused)}"]`)?.focus();
  $('calls-empty').hidden = st.calls.length > 0;
  $('calls-count').textContent = `(${st.count})`;
  const first = st.calls.length ? st.skip + 1 : 0;
  $('page-info').textContent = `${first}–${st.skip + st.calls.length} of ${st.count}`;
  $('page-newer').disabled = st.skip === 0;
  $('page-older').disabled = st.skip + PAGE >= st.count;
}

function updateRow(c) {
  const b = $('calls').querySelector(`[data-call-id="${CSS.escape(c.id)}"]`);
  if (!b) return false;
  const s = b.querySelector('[data-field="state"]');
  s.textContent = c.state; s.className = `state state-${c.state}`;
  b.querySelector('[data-field="sub"]').textContent = `${c.direction || ''} · ${fmtTime(c.createdDateTime)}${c.endedDateTime ? ' – ' + fmtTime(c.endedDateTime) : ''}`;
  return true;
}

function upsertCall(c) {
  if (!c || !c.id) return;
  const i = st.calls.findIndex((x) => x.id === c.id);
  if (i >= 0) {
    st.calls[i] = newerCall(st.calls[i], c);
    if (!updateRow(st.calls[i])) renderList();
  } else {
    st.count++;
    if (st.skip === 0) { st.calls.unshift(c); if (st.calls.length > PAGE) st.calls.length = PAGE; }
    renderList();
  }
  if (c.id === st.open) {
    const prev = st.call?.state;
    st.call = newerCall(st.call, c);
    if (Array.isArray(c.operations)) for (const op of c.operations) putOp(op);
    renderCall();
    if (prev && prev !== c.state) { st.audioDirty.caller = st.audioDirty.outbound = true; scheduleRefresh(); }
  }
}

// ---------- the open call ----------

// A fetched copy can be older than what the stream said meanwhile, so
// facts only move forward: a call's state never goes back, an ended
// operation stays ended, a delivered notification stays delivered.
const CALL_RANK = { incoming: 0, establishing: 1, established: 2, terminated: 3 };
function newerCall(old, c) {
  if (old && (CALL_RANK[old.state] ?? -1) > (CALL_RANK[c.state] ?? -1)) return { ...c, ...old, operations: c.operations ?? old.operations };
  return { ...old, ...c };
}
function putOp(op) {
  const old = st.ops.get(op.id);
  if (old && TERMINAL.has(old.status) && !TERMINAL.has(op.status)) return;
  st.ops.set(op.id, { ...old, ...op });
}
function putNotif(n) {
  const old = st.notifs.get(n.sequence);
  if (old && ((old.delivered && !n.delivered) || (old.attempts ?? 0) > (n.attempts ?? 0))) return;
  st.notifs.set(n.sequence, { ...old, ...n });
}

function clearCall() {
  st.call = null; st.ops = new Map(); st.entries = []; st.entryKeys = new Set(); st.notifs = new Map();
  for (const r of st.recordings.values()) if (r.url) URL.revokeObjectURL(r.url);
  st.recordings = new Map(); st.wave = null;
  $('recordings').replaceChildren(); $('notifications').replaceChildren(); $('ops').replaceChildren(); $('entries').replaceChildren();
  for (const k of ['caller', 'outbound']) setAudio(k, null, '');
}

async function openCall(id, fromClick) {
  if (!id) return;
  if (id !== st.open) {
    clearCall();
    st.open = id; st.openSeq++;
    for (const b of $('calls').querySelectorAll('[data-call-id]')) b.setAttribute('aria-current', b.dataset.callId === id ? 'true' : 'false');
    if (location.hash !== '#call=' + id) history.replaceState(null, '', '#call=' + encodeURIComponent(id));
    st.call = st.calls.find((c) => c.id === id) || { id };
    renderCall();
  }
  if (fromClick) $('call-h').scrollIntoView({ block: 'nearest' });
  st.audioDirty.caller = st.audioDirty.outbound = true;
  await refreshOpen();
}

let refreshTimer = 0, refreshing = null, refreshAgain = false;
function scheduleRefresh() {
  if (!st.open) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { refreshOpen(); }, REFRESH_MS);
}

// refreshOpen re-reads the open call's details: one fetch of each at a
// time, and one more after it when asked meanwhile.
async function refreshOpen() {
  if (refreshing) { refreshAgain = true; return refreshing; }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const id = st.open, seq = st.openSeq, base = `/recsim/v1/calls/${encodeURIComponent(id)}`;
      try {
        const [call, ev, nt] = await Promise.all([getJSON(base), getJSON(base + '/events'), getJSON(base + '/notifications')]);
        if (seq !== st.openSeq) break;
        upsertCall(call);
        mergeEntries(ev.value || []);
        for (const n of nt.value || []) putNotif(n);
        renderCall(); renderNotifs(); scheduleDraw();
        for (const k of ['caller', 'outbound']) if (st.audioDirty[k]) await loadAudio(k, seq);
      } catch (e) { fail(`Could not read the call: ${e.message}`); }
    } while (refreshAgain);
  })();
  try { await refreshing; } finally { refreshing = null; }
}

function entryKey(e) { return `${e.type}|${e.sample}|${e.operationId || ''}|${e.detail || ''}`; }

function mergeEntries(list) {
  let added = false;
  for (const e of list) {
    const k = entryKey(e);
    if (st.entryKeys.has(k)) continue;
    st.entryKeys.add(k); st.entries.push(e); added = true;
  }
  if (added) st.entries.sort((a, b) => a.sample - b.sample); // stable: same-sample entries keep the server's order
  return added;
}

function renderCall() {
  const c = st.call;
  const has = !!c;
  $('call-h').textContent = has ? `Call ${c.id}` : 'No call open';
  $('call-meta').textContent = has
    ? [`state ${show(c.state)}`, c.direction, `created ${fmtTime(c.createdDateTime)}`, `ended ${fmtTime(c.endedDateTime)}`,
      c.rate ? `${c.rate} Hz` : null, c.callbackUri ? `callback ${c.callbackUri}` : null].filter(Boolean).join(' · ')
    : 'Choose a call in the list to see its timeline, operations, notifications and audio.';
  for (const id of ['answer', 'hangup', 'cancel', 'record', 'upload']) $(id).disabled = !has;
  renderOps(); renderWhy(); renderRecordings();
}

function reasonText(op) {
  const parts = [op.completionReason, op.subcode].filter((v) => v !== null && v !== undefined && v !== '');
  return parts.length ? parts.join(' ') : '—';
}

function renderOps() {
  const tb = $('ops');
  const ops = [...st.ops.values()];
  $('ops-empty').hidden = ops.length > 0;
  const keep = new Set();
  for (const op of ops) {
    keep.add(op.id);
    let tr = tb.querySelector(`[data-op-id="${CSS.escape(op.id)}"]`);
    if (!tr) {
      tr = el('tr', { 'data-op-id': op.id },
        el('td', { class: 'mono', 'data-field': 'id', title: op.id }), el('td', { 'data-field': 'kind' }), el('td', { 'data-field': 'status' }),
        el('td', { 'data-field': 'reason' }), el('td', { 'data-field': 'code' }), el('td', { 'data-field': 'subcode' }), el('td', { 'data-field': 'message' }));
      tb.append(tr);
    }
    const f = (n) => tr.querySelector(`[data-field="${n}"]`);
    f('id').textContent = op.id + (op.clientContext ? ` (${op.clientContext})` : '');
    f('kind').textContent = show(op.kind);
    f('status').textContent = show(op.status); f('status').className = `st-${op.status}`;
    f('reason').textContent = reasonText(op);
    f('code').textContent = show(op.code); f('subcode').textContent = show(op.subcode); f('message').textContent = show(op.message);
  }
  for (const tr of [...tb.children]) if (!keep.has(tr.dataset.opId)) tr.remove();
}

// renderWhy says, for each ended operation (latest first), how it ended and
// the timeline facts that led there.
function renderWhy() {
  const ended = [...st.ops.values()].filter((o) => TERMINAL.has(o.status)).reverse();
  $('why').hidden = ended.length === 0;
  $('why-list').replaceChildren(...ended.map((op) => {
    const mine = st.entries.filter((e) => e.operationId === op.id);
    const done = mine.findLast((e) => e.type === 'completed');
    const before = done ? mine.filter((e) => e.sample <= done.sample && e !== done && e.type !== 'timerDisarmed') : [];
    const cause = before.findLast((e) => ['digit', 'speechEnd', 'speechStart', 'timerArmed', 'promptEnd', 'beepEnd'].includes(e.type));
    const li = el('li', { 'data-why': op.id });
    li.append(el('strong', { text: `${op.kind || 'operation'} ${op.id}` }), `: ${op.status}, `,
      el('strong', { text: show(op.completionReason) }), ` — code ${show(op.code)}, subcode ${show(op.subcode)}`);
    if (done) li.append(` at ${fmtS(done.ms)} s`, done.detail ? ` (${done.detail})` : '');
    if (op.message) li.append(`. ${op.message}`);
    if (cause) li.append(el('br'), el('span', { class: 'muted', text: `Last fact before it: ${cause.type} at ${fmtS(cause.ms)} s${cause.detail ? ' — ' + cause.detail : ''}` }));
    return li;
  }));
}

// ---------- audio ----------

function setAudio(kind, url, note) {
  const a = $('audio-' + kind);
  if (st.audio[kind]) URL.revokeObjectURL(st.audio[kind]);
  st.audio[kind] = url;
  if (url) a.src = url; else a.removeAttribute('src');
  a.load();
  $(`audio-${kind}-note`).textContent = note;
}

async function loadAudio(kind, seq) {
  const a = $('audio-' + kind);
  if (!a.paused) return; // never cut off what the person is listening to; reloaded when asked next
  st.audioDirty[kind] = false;
  try {
    const res = await control(`/recsim/v1/calls/${encodeURIComponent(st.open)}/audio/${kind}`);
    if (seq !== st.openSeq) return;
    if (res.status === 404) { setAudio(kind, null, 'none yet'); if (kind === 'caller') { st.wave = null; scheduleDraw(); } return; }
    if (!res.ok) { setAudio(kind, null, await errorText(res)); return; }
    const blob = await res.blob();
    if (seq !== st.openSeq) return;
    setAudio(kind, URL.createObjectURL(blob), `${(blob.size / 1024).toFixed(1)} KiB`);
    if (kind === 'caller') { st.wave = parseWave(await blob.arrayBuffer()); scheduleDraw(); }
  } catch (e) { setAudio(kind, null, `could not load: ${e.message}`); }
}

// parseWave reads a PCM WAV (8, 16, 24, 32-bit integer or 32-bit float; the
// first channel) into min/max pairs per WAVE_BLOCK_MS block; null when it
// is not one.
function parseWave(buf) {
  const v = new DataView(buf);
  const tag = (o) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let fmt = null, off = 12;
  while (off + 8 <= buf.byteLength) {
    const id = tag(off), size = v.getUint32(off + 4, true), body = off + 8;
    if (id === 'fmt ' && size >= 16) {
      let format = v.getUint16(body, true);
      if (format === 0xfffe && size >= 26) format = v.getUint16(body + 24, true);
      fmt = { format, ch: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
    } else if (id === 'data' && fmt) {
      const end = Math.min(buf.byteLength, body + size); // a streamed header may claim more than was sent
      const bps = fmt.bits / 8, frame = bps * fmt.ch;
      if (!fmt.rate || !frame || ![1, 3].includes(fmt.format)) return null;
      const n = Math.floor((end - body) / frame);
      const read = fmt.format === 3 && bps === 4 ? (o) => v.getFloat32(o, true)
        : bps === 2 ? (o) => v.getInt16(o, true) / 32768
          : bps === 1 ? (o) => (v.getUint8(o) - 128) / 128
            : bps === 3 ? (o) => ((v.getUint8(o) | (v.getUint8(o + 1) << 8) | (v.getInt8(o + 2) << 16)) / 8388608)
              : bps === 4 ? (o) => v.getInt32(o, true) / 2147483648 : null;
      if (!read) return null;
      const per = Math.max(1, Math.round(fmt.rate * WAVE_BLOCK_MS / 1000));
      const blocks = Math.ceil(n / per), env = new Float32Array(blocks * 2);
      for (let b = 0; b < blocks; b++) {
        let lo = 1, hi = -1;
        for (let i = b * per, e = Math.min(n, i + per); i < e; i++) { const s = read(body + i * frame); if (s < lo) lo = s; if (s > hi) hi = s; }
        env[2 * b] = lo; env[2 * b + 1] = hi;
      }
      return { rate: fmt.rate, ms: (n * 1000) / fmt.rate, blockMs: (per * 1000) / fmt.rate, env };
    }
    off = body + size + (size & 1);
  }
  return null;
}

// recordingURL puts the recordingLocation on this page's origin: the
// server serves the recordings on the surface the page came from, and a
// --base-url naming another host would be cross-origin.
function recordingURL(loc) {
  try { const u = new URL(loc, location.href); return u.pathname + u.search; } catch { return loc; }
}

async function fetchRecording(op, seq) {
  const base = `/recsim/v1/calls/${encodeURIComponent(st.open)}/operations/${encodeURIComponent(op.id)}/recording`;
  let res = null;
  if (op.recordingLocation) {
    try {
      res = await fetch(recordingURL(op.recordingLocation), op.recordingAccessToken ? { headers: { Authorization: 'Bearer ' + op.recordingAccessToken } } : {});
    } catch { res = null; }
  }
  if (!res || !res.ok) res = await control(base);
  if (seq !== st.openSeq) return null;
  if (!res.ok) throw new Error(await errorText(res));
  return res.blob();
}

function renderRecordings() {
  const box = $('recordings');
  const seq = st.openSeq;
  for (const op of st.ops.values()) {
    if (!op.recordingLocation || !TERMINAL.has(op.status)) continue;
    const key = op.recordingLocation + '|' + op.status;
    const have = st.recordings.get(op.id);
    if (have && have.key === key) continue;
    let fig = box.querySelector(`[data-recording-box="${CSS.escape(op.id)}"]`);
    if (!fig) {
      const cap = 'rec-cap-' + op.id;
      fig = el('figure', { 'data-recording-box': op.id },
        el('figcaption', { id: cap }, `Recording of ${op.id}`),
        el('audio', { 'data-recording': op.id, controls: true, preload: 'metadata', 'aria-labelledby': cap }),
        el('p', { class: 'muted' }));
      box.append(fig);
    }
    fig.querySelector('figcaption').textContent = `Recording of ${op.id} (${show(op.completionReason)})`;
    st.recordings.set(op.id, { key, url: have?.url || null });
    fetchRecording(op, seq).then((blob) => {
      if (!blob) return;
      const r = st.recordings.get(op.id);
      if (r?.url) URL.revokeObjectURL(r.url);
      const url = URL.createObjectURL(blob);
      st.recordings.set(op.id, { key, url });
      const a = fig.querySelector('audio'); a.src = url; a.load();
      fig.querySelector('p').textContent = `${(blob.size / 1024).toFixed(1)} KiB`;
    }).catch((e) => { fig.querySelector('p').textContent = `could not load: ${e.message}`; });
  }
}

// ---------- notifications ----------

function delivery(n) {
  if (n.delivered) return ['delivered', 'delivered'];
  if (n.attempts > 0) return [`failed (${n.attempts} ${n.attempts === 1 ? 'attempt' : 'attempts'})`, 'failed'];
  return ['pending', 'pending'];
}

function renderNotifs() {
  const ul = $('notifications');
  const list = [...st.notifs.values()].sort((a, b) => a.sequence - b.sequence);
  $('notif-empty').hidden = list.length > 0;
  for (const n of list) {
    let li = ul.querySelector(`[data-notification="${CSS.escape(String(n.sequence))}"]`);
    if (!li) {
      li = el('li', { 'data-notification': n.sequence },
        el('div', { class: 'notif-head' },
          el('strong', { text: `#${n.sequence}` }), el('span', { 'data-field': 'change' }), el('span', { 'data-field': 'resource', class: 'mono' }),
          el('span', { 'data-field': 'attempts' }), el('span', { 'data-field': 'delivery' })),
        el('p', { 'data-field': 'error', class: 'muted' }),
        el('details', {}, el('summary', { text: 'payload (JSON)' }), el('pre', { 'data-field': 'payload' })));
      ul.append(li);
    }
    const f = (k) => li.querySelector(`[data-field="${k}"]`);
    f('change').textContent = show(n.changeType);
    f('resource').textContent = show(n.resourceUrl);
    f('attempts').textContent = `attempts ${n.attempts ?? 0}`;
    const [text, cls] = delivery(n);
    f('delivery').textContent = text; f('delivery').className = 'dl-' + cls;
    f('error').textContent = n.lastError ? `last error: ${n.lastError}` : '';
    f('error').hidden = !n.lastError;
    const json = n.payload === null || n.payload === undefined ? 'null' : JSON.stringify(n.payload, null, 2);
    if (f('payload').textContent !== json) f('payload').textContent = json;
  }
}

// ---------- the timeline ----------

let drawQueued = false;
function scheduleDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; drawTimeline(); });
}

const firstWord = (s) => (s || '').trim().split(/\s+/)[0] || '';
function timerFire(e) { const m = /fires at ([\d.]+) s/.exec(e.detail || ''); return m ? parseFloat(m[1]) * 1000 : null; }

// timerRun says how one armed timer ran: it stops when disarmed, when its
// operation completes, or when it fires (fire is null when the detail
// names no time; stop is 'until' for one still running).
function timerRun(E, a, until) {
  const name = firstWord(a.detail), op = a.operationId || '';
  const fire = timerFire(a);
  const off = E.find((e) => e.type === 'timerDisarmed' && firstWord(e.detail) === name && e.sample >= a.sample && (e.operationId || '') === op);
  const done = E.find((e) => e.type === 'completed' && e.sample >= a.sample && (e.operationId || '') === op);
  let stop = fire ?? until, why = '';
  if (done && done.ms < stop) { stop = done.ms; why = 'ended with its operation'; }
  if (off && off.ms <= stop) { stop = off.ms; why = 'disarmed'; }
  return { fire, stop, why, fired: fire !== null && !why && stop === fire };
}

function niceStep(msPerPx) {
  for (const s of [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000]) if (s / msPerPx >= 70) return s;
  return 1200000;
}

// intervals pairs start and end entries of one kind (per operation, or in
// order when they carry none); an open interval runs to its operation's
// completion or to the end of the drawing.
function intervals(entries, start, end, until) {
  const out = [], open = new Map();
  for (const e of entries) {
    const k = e.operationId || '';
    if (e.type === start) { if (!open.has(k)) open.set(k, e); } else if (e.type === end && open.has(k)) { out.push([open.get(k), e]); open.delete(k); } else if (e.type === 'completed' && open.has(k) && start !== 'speechStart') { out.push([open.get(k), e]); open.delete(k); }
  }
  for (const s of open.values()) out.push([s, { ms: until, open: true }]);
  return out;
}

function drawTimeline() {
  const svg = $('timeline');
  const width = Math.max(480, $('tl-wrap').clientWidth);
  const E = st.entries;
  let endMs = 1000;
  for (const e of E) endMs = Math.max(endMs, e.ms);
  // A timer's firing time widens the drawing only when it fired or may
  // still fire: a 30 s cap disarmed at 3 s must not squeeze the call.
  for (const a of E.filter((e) => e.type === 'timerArmed')) { const r = timerRun(E, a, Infinity); if (r.fire !== null && (r.fired || r.stop === Infinity)) endMs = Math.max(endMs, r.fire); }
  if (st.wave) endMs = Math.max(endMs, st.wave.ms);
  endMs *= 1.03;
  const plotW = width - ORIGIN_X - PAD_RIGHT;
  const msPerPx = endMs / plotW;
  const X = (ms) => Math.round(ORIGIN_X + ms / msPerPx);

  // lanes
  const yAxis = 16, yWave = 24, hWave = 56, yPh = 88, ySp = 112, yDg = 136, yTm = 160, rowTm = 20;
  const timers = [...new Set(E.filter((e) => e.type === 'timerArmed').map((e) => firstWord(e.detail)))];
  const height = yTm + Math.max(1, timers.length) * rowTm + 26;
  const kids = [];
  const lane = (y, label) => kids.push(sv('text', { class: 'lane-label', x: 6, y }, label));

  const step = niceStep(msPerPx);
  for (let t = 0; t <= endMs; t += step) {
    const x = X(t);
    kids.push(sv('line', { class: 'grid', x1: x, x2: x, y1: yAxis + 2, y2: height - 22 }));
    kids.push(sv('text', { x, y: yAxis - 4, 'text-anchor': 'middle' }, `${+(t / 1000).toFixed(2)} s`));
  }
  kids.push(sv('line', { class: 'axis', x1: ORIGIN_X, x2: width - PAD_RIGHT, y1: yAxis + 2, y2: yAxis + 2 }));

  lane(yWave + hWave / 2 + 4, 'caller');
  if (st.wave) {
    const w = st.wave, mid = yWave + hWave / 2, amp = hWave / 2;
    let d = '';
    for (let px = 0; px < plotW; px++) {
      const b0 = Math.floor((px * msPerPx) / w.blockMs), b1 = Math.max(b0 + 1, Math.floor(((px + 1) * msPerPx) / w.blockMs));
      if (b0 * 2 >= w.env.length) break;
      let lo = 1, hi = -1;
      for (let b = b0; b < b1 && 2 * b < w.env.length; b++) { lo = Math.min(lo, w.env[2 * b]); hi = Math.max(hi, w.env[2 * b + 1]); }
      const y1 = mid - hi * amp, y2 = mid - lo * amp;
      d += `M${ORIGIN_X + px + 0.5} ${y1.toFixed(1)}V${Math.max(y2, y1 + 1).toFixed(1)}`;
    }
    kids.push(sv('path', { class: 'wave', d, 'data-entry': 'waveform', 'data-ms': 0 }));
  } else {
    kids.push(sv('text', { class: 'lane-label', x: ORIGIN_X + 4, y: yWave + hWave / 2 + 4 }, 'no caller audio loaded'));
  }

  lane(yPh + 13, 'phases');
  for (const [kind, cls] of [['prompt', 'ph-prompt'], ['beep', 'ph-beep'], ['listen', 'ph-listen']]) {
    const endType = kind === 'listen' ? 'listenEnd' : kind + 'End';
    for (const [s, e] of intervals(E, kind + 'Start', endType, endMs)) {
      const x1 = X(s.ms), x2 = Math.max(X(e.ms), x1 + 2);
      const r = sv('rect', { class: cls, x: x1, y: yPh, width: x2 - x1, height: 18, 'data-entry': kind + 'Start', 'data-ms': s.ms });
      r.append(sv('title', {}, `${kind} ${fmtS(s.ms)}–${e.open ? '…' : fmtS(e.ms)} s`));
      kids.push(r);
      if (x2 - x1 > 40) kids.push(sv('text', { x: x1 + 4, y: yPh + 13 }, kind));
    }
  }

  lane(ySp + 13, 'speech');
  for (const [s, e] of intervals(E, 'speechStart', 'speechEnd', endMs)) {
    const x1 = X(s.ms), x2 = Math.max(X(e.ms), x1 + 2);
    const r = sv('rect', { class: 'speech', x: x1, y: ySp, width: x2 - x1, height: 18, 'data-entry': 'speechStart', 'data-ms': s.ms });
    r.append(sv('title', {}, `speech ${fmtS(s.ms)}–${e.open ? '…' : fmtS(e.ms)} s`));
    kids.push(r);
  }

  lane(yDg + 14, 'digits');
  for (const e of E.filter((x) => x.type === 'digit')) {
    const x = X(e.ms);
    const c = sv('circle', { class: 'digit', cx: x, cy: yDg + 10, r: 5, 'data-entry': 'digit', 'data-ms': e.ms });
    c.append(sv('title', {}, `digit ${e.detail || ''} (${fmtS(e.ms)} s)`));
    kids.push(c, sv('text', { class: 'digit-label', x: x + 8, y: yDg + 15 }, firstWord(e.detail)));
  }

  if (!timers.length) lane(yTm + 11, 'timers');
  lane(yTm + 14, 'timers');
  timers.forEach((name, i) => {
    const y = yTm + i * rowTm + 14;
    for (const a of E.filter((e) => e.type === 'timerArmed' && firstWord(e.detail) === name)) {
      const run = timerRun(E, a, endMs);
      const x1 = X(a.ms);
      const l = sv('line', { class: 'timer', x1, x2: Math.max(X(run.stop), x1 + 1), y1: y, y2: y, 'data-entry': 'timerArmed', 'data-ms': a.ms });
      l.append(sv('title', {}, `${a.detail} (armed at ${fmtS(a.ms)} s${run.why ? `, ${run.why} at ${fmtS(run.stop)} s` : ', fired'})`));
      kids.push(l, sv('text', { class: 'timer-label', x: x1 + 3, y: y - 3 }, name));
      if (run.fired) {
        kids.push(sv('path', { class: 'timer-fire', d: `M${X(run.fire)} ${y - 5}l5 5l-5 5z`, 'data-entry': 'timerFires', 'data-ms': run.fire }));
      } else {
        if (run.fire !== null) kids.push(sv('line', { class: 'timer-off', x1: X(run.stop), x2: X(Math.min(run.fire, endMs)), y1: y, y2: y }));
        kids.push(sv('rect', { class: 'timer-fire', x: X(run.stop) - 1, y: y - 5, width: 2, height: 10, 'data-entry': run.why === 'disarmed' ? 'timerDisarmed' : 'timerStopped', 'data-ms': run.stop }));
      }
    }
  });

  for (const e of E.filter((x) => x.type === 'operationStart')) {
    const x = X(e.ms);
    const l = sv('line', { class: 'opstart', x1: x, x2: x, y1: yWave, y2: height - 22, 'data-entry': 'operationStart', 'data-ms': e.ms });
    l.append(sv('title', {}, `operation ${e.operationId || ''} starts at ${fmtS(e.ms)} s`));
    kids.push(l);
  }
  for (const e of E.filter((x) => x.type === 'completed')) {
    const x = X(e.ms);
    const l = sv('line', { class: 'done', x1: x, x2: x, y1: yWave - 4, y2: height - 18, 'data-entry': 'completed', 'data-ms': e.ms });
    l.append(sv('title', {}, `completed at ${fmtS(e.ms)} s: ${e.detail || ''}`));
    const right = x > width - 220;
    kids.push(l, sv('text', { class: 'done-label', x: right ? x - 4 : x + 4, y: height - 6, 'text-anchor': right ? 'end' : 'start' }, `${e.detail || 'completed'} at ${fmtS(e.ms)} s`));
  }

  const desc = sv('desc', { id: 'tl-desc' }, timelineSummary());
  svg.replaceChildren(desc, ...kids);
  svg.setAttribute('width', width); svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('data-ms-per-px', String(msPerPx));
  svg.setAttribute('data-origin-x', String(ORIGIN_X));
  renderEntries();
}

function timelineSummary() {
  if (!st.entries.length) return 'No timeline entries yet.';
  const done = st.entries.filter((e) => e.type === 'completed').map((e) => `completed at ${fmtS(e.ms)} s (${e.detail || ''})`);
  const digits = st.entries.filter((e) => e.type === 'digit').map((e) => firstWord(e.detail)).join(' ');
  return `${st.entries.length} timeline entries${digits ? `; digits ${digits}` : ''}${done.length ? '; ' + done.join('; ') : ''}. The same entries are listed as text below.`;
}

function renderEntries() {
  $('entries-count').textContent = String(st.entries.length);
  $('entries').replaceChildren(...st.entries.map((e) => el('tr', {},
    el('td', { text: fmtS(e.ms) }), el('td', { text: String(e.sample) }), el('td', { text: e.type }),
    el('td', { class: 'mono', text: show(e.operationId) }), el('td', { text: show(e.detail) }))));
}

// ---------- the event stream ----------

// normalize accepts both shapes of a stream event: the typed SSE event
// ({"callId", "operation"|"entry"|"notification"} or a call) and the
// envelope {"type", "phase", "callId", "sequence", "at", "body"}.
function normalize(sseType, d) {
  if (!d || typeof d !== 'object') return null;
  let type = sseType, callId = d.callId, body;
  if (typeof d.type === 'string' && 'body' in d) { type = d.type; body = d.body; } else {
    body = type === 'call' ? (d.call || d) : type === 'operation' ? d.operation : type === 'event' ? d.entry : type === 'notification' ? d.notification : d;
  }
  if (type === 'call' && body && !callId) callId = body.id;
  return { type, callId, body };
}

function onStream(sseType, data, id) {
  if (id) st.lastEventId = id;
  if (sseType === 'reset') { resync(); return; }
  let d;
  try { d = JSON.parse(data); } catch { return; }
  const m = normalize(sseType, d);
  if (!m || !m.body) { if (m && m.type === 'reset') resync(); return; }
  switch (m.type) {
    case 'call': upsertCall(m.body); break;
    case 'operation':
      if (m.callId !== st.open) break;
      putOp(m.body);
      renderCall();
      if (TERMINAL.has(m.body.status)) { st.audioDirty.caller = st.audioDirty.outbound = true; scheduleRefresh(); }
      break;
    case 'event':
      if (m.callId !== st.open) break;
      if (mergeEntries([m.body])) { scheduleDraw(); if (m.body.type === 'completed') renderWhy(); }
      break;
    case 'notification':
      if (m.callId !== st.open) break;
      putNotif(m.body);
      renderNotifs();
      break;
    case 'reset': resync(); break;
  }
}

function resync() { loadList(); if (st.open) { st.audioDirty.caller = st.audioDirty.outbound = true; refreshOpen(); } }

function setConn(s, text) {
  const p = $('conn');
  p.dataset.conn = s;
  p.textContent = 'Stream: ' + (text || s);
}

const stream = { es: null, ctrl: null, backoff: BACKOFF_MIN, timer: 0, errors: 0, useFetch: false };
const TYPES = ['call', 'operation', 'event', 'notification', 'reset'];

// connect opens the stream: an EventSource while no token is needed (it
// reconnects by itself and resumes with Last-Event-ID); after it gives up,
// or with a control token (an EventSource cannot send headers), a fetch
// reader that sends Authorization and Last-Event-ID, reconnecting with
// back-off.
function connect() {
  clearTimeout(stream.timer);
  if (st.token || stream.useFetch) { connectFetch(); return; }
  const es = new EventSource('/recsim/v1/stream');
  stream.es = es;
  es.onopen = () => { stream.errors = 0; stream.backoff = BACKOFF_MIN; setConn('live'); };
  for (const t of TYPES) es.addEventListener(t, (e) => onStream(t, e.data, e.lastEventId));
  es.onmessage = (e) => onStream('message', e.data, e.lastEventId);
  es.onerror = () => {
    stream.errors++;
    if (es.readyState === EventSource.CLOSED || stream.errors >= 3) {
      es.close(); stream.es = null; stream.useFetch = true; retryLater();
    } else setConn('reconnecting');
  };
}

function retryLater() {
  const wait = stream.backoff;
  stream.backoff = Math.min(BACKOFF_MAX, stream.backoff * 2);
  setConn('reconnecting', `reconnecting in ${Math.round(wait / 1000)} s`);
  stream.timer = setTimeout(connect, wait);
}

async function connectFetch() {
  const ctrl = new AbortController();
  stream.ctrl = ctrl;
  let opened = false;
  try {
    const headers = { Accept: 'text/event-stream' };
    if (st.lastEventId) headers['Last-Event-ID'] = st.lastEventId;
    const res = await control('/recsim/v1/stream', { headers, signal: ctrl.signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw new Error(await errorText(res));
    opened = true; stream.backoff = BACKOFF_MIN; setConn('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '', type = '', data = [], id = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        if (!m || (m[0] === '\r' && m.index === buf.length - 1)) break; // wait for a \n that may follow
        const line = buf.slice(0, m.index); buf = buf.slice(m.index + m[0].length);
        if (line === '') {
          if (id !== null) st.lastEventId = id;
          if (data.length) onStream(type || 'message', data.join('\n'), id ?? st.lastEventId);
          type = ''; data = []; id = null; continue;
        }
        if (line[0] === ':') continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let val = c < 0 ? '' : line.slice(c + 1); if (val[0] === ' ') val = val.slice(1);
        if (field === 'event') type = val; else if (field === 'data') data.push(val); else if (field === 'id' && !val.includes('\0')) id = val;
      }
    }
  } catch (e) {
    if (ctrl.signal.aborted) return;
    if (!opened) fail(`Event stream: ${e.message}`);
  }
  if (st.tokenDeclined) { setConn('closed', 'closed (no control token)'); return; }
  if (opened) resync(); // events may have been missed beyond the retention window
  retryLater();
}

// ---------- actions ----------

async function act(btn, label, fn) {
  if (btn.getAttribute('aria-busy') === 'true') return;
  btn.setAttribute('aria-busy', 'true');
  try {
    const res = await fn();
    if (!res.ok) { fail(`${label} failed: ${await errorText(res)}`); return null; }
    say(`${label}: done (HTTP ${res.status}).`);
    return res;
  } catch (e) { fail(`${label} failed: ${e.message}`); return null; } finally { btn.setAttribute('aria-busy', 'false'); }
}

const callPath = () => encodeURIComponent(st.open);

function wire() {
  $('ring').addEventListener('click', async (ev) => {
    const res = await act(ev.currentTarget, 'Ring', () => control('/recsim/v1/calls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ callbackUri: location.origin + '/recsim/v1/inbox' }),
    }));
    if (!res) return;
    const c = await res.json().catch(() => null);
    if (c && c.id) { upsertCall(c); say(`Rang call ${c.id}.`); openCall(c.id); }
  });
  $('answer').addEventListener('click', (ev) => act(ev.currentTarget, 'Answer', () => graph(`/v1.0/communications/calls/${callPath()}/answer`, {})));
  // Cancel goes through the simulation surface: the server sends its own
  // cancelMediaProcessing, so it works whatever the Graph surface's auth.
  $('cancel').addEventListener('click', (ev) => act(ev.currentTarget, 'Cancel media processing', () => control(`/recsim/v1/calls/${callPath()}/cancel`,
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })));
  $('hangup').addEventListener('click', (ev) => act(ev.currentTarget, 'Hang up', () => control(`/recsim/v1/calls/${callPath()}/hangup`, { method: 'POST' })));
  $('record-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let body;
    try { body = JSON.parse($('record-body').value); } catch (e) { fail(`The recordResponse body is not JSON: ${e.message}`); $('record-body').focus(); return; }
    const res = await act($('record'), 'Record a response', () => graph(`/v1.0/communications/calls/${callPath()}/recordResponse`, body));
    const op = res && await res.json().catch(() => null);
    if (op && op.id) { putOp(op); renderCall(); }
  });
  $('media-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = $('media-file').files[0];
    const script = $('media-script').value.trim();
    let body, type;
    if (file) {
      // Sniff like the server does: a scenario file starts with "{".
      const head = new TextDecoder().decode(await file.slice(0, 64).arrayBuffer()).trimStart();
      type = head.startsWith('{') ? 'application/json' : 'audio/wav'; body = file;
    } else if (script) {
      try { JSON.parse(script); } catch (e) { fail(`The scenario is not JSON: ${e.message}`); $('media-script').focus(); return; }
      type = 'application/json'; body = script;
    } else { fail('Choose a WAV file or write a scenario first.'); $('media-file').focus(); return; }
    const res = await act($('upload'), 'Upload caller audio', () => control(`/recsim/v1/calls/${callPath()}/media`, { method: 'PUT', headers: { 'Content-Type': type }, body }));
    if (res) { st.audioDirty.caller = true; scheduleRefresh(); }
  });
  $('page-newer').addEventListener('click', () => { st.skip = Math.max(0, st.skip - PAGE); loadList(); });
  $('page-older').addEventListener('click', () => { st.skip += PAGE; loadList(); });
  new ResizeObserver(() => scheduleDraw()).observe($('tl-wrap'));
  window.addEventListener('hashchange', () => { const id = hashCall(); if (id && id !== st.open) openCall(id); });
}

function hashCall() {
  const m = /^#call=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : '';
}

wire();
renderCall();
scheduleDraw();
connect();
loadList().then(() => { const id = hashCall(); if (id) openCall(id); });
