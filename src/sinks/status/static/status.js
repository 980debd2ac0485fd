/*
 * kasa-collector status page: live updates over Server-Sent Events (`/events`). The page is
 * complete without this script (the server renders every number); this keeps it current
 * without a reload and shows times in the browser's time zone. No dependencies, no build step.
 *
 * Every value from the server is set with textContent or as an SVG attribute built from numbers,
 * never parsed as HTML: aliases and error messages come from the plugs.
 *
 * Events (shapes in docs/status-page.md):
 *   status  the whole /api/status snapshot (on connect and reconnect)
 *   update  { generatedAt, devices: [device without `power`, with `point`], removed: [id], sinks }
 */
'use strict';

(() => {
  const HOUR_S = 3600;
  const MIN_SPAN_S = 60;
  const SPARK = { width: 160, height: 32 };
  const devicesBody = document.querySelector('#devices tbody');
  const sinksBody = document.querySelector('#sinks tbody');
  const live = document.getElementById('live');
  if (!devicesBody || !sinksBody || !live || typeof EventSource === 'undefined') return;

  /** Power history per device id: [unix s, W], oldest first. */
  const series = new Map();
  /** Rows by device id and by sink name. */
  const rows = new Map();
  const sinkRows = new Map();
  for (const tr of devicesBody.querySelectorAll('tr[data-id]')) rows.set(tr.dataset.id, tr);
  for (const tr of sinksBody.querySelectorAll('tr[data-sink]')) sinkRows.set(tr.dataset.sink, tr);

  const fmt = (v, decimals, unit) =>
    typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(decimals)} ${unit}` : '–';

  /** Local time; the date too when it is not today. */
  const localTime = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '–';
    return d.toDateString() === new Date().toDateString()
      ? d.toLocaleTimeString()
      : d.toLocaleString();
  };

  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };

  const timeEl = (iso) => {
    if (!iso) return document.createTextNode('–');
    const t = el('time', localTime(iso));
    t.dateTime = iso;
    return t;
  };

  const stateOf = (online) =>
    online === true ? 'online' : online === false ? 'offline' : 'unknown';

  const cell = (tr, field) => tr.querySelector(`[data-f="${field}"]`);

  const set = (tr, field, ...nodes) => {
    const td = cell(tr, field);
    if (td)
      td.replaceChildren(
        ...nodes.map((n) => (typeof n === 'string' ? document.createTextNode(n) : n)),
      );
  };

  /**
   * The sparkline's polyline points, as the server draws them (src/sinks/status/render.ts):
   * x from the oldest point (within the hour, at least MIN_SPAN_S back) to nowS, y 0 W to peak.
   */
  const sparkPoints = (points, nowS) => {
    if (points.length === 0) return '';
    const max = Math.max(1, ...points.map((p) => p[1]));
    const span = Math.min(HOUR_S, Math.max(MIN_SPAN_S, nowS - points[0][0]));
    return points
      .map(([t, w]) => {
        const x = ((t - (nowS - span)) / span) * SPARK.width;
        const y = SPARK.height - (Math.max(0, w) / max) * (SPARK.height - 2) - 1;
        return `${Math.min(SPARK.width, Math.max(0, x)).toFixed(1)},${y.toFixed(1)}`;
      })
      .join(' ');
  };

  const drawSpark = (tr, id, nowS) => {
    const td = cell(tr, 'spark');
    if (!td) return;
    let svg = td.querySelector('svg');
    if (!svg) {
      svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('class', 'spark');
      svg.setAttribute('viewBox', `0 0 ${SPARK.width} ${SPARK.height}`);
      svg.setAttribute('width', String(SPARK.width));
      svg.setAttribute('height', String(SPARK.height));
      svg.setAttribute('role', 'img');
      svg.append(document.createElementNS(svg.namespaceURI, 'title'));
      const line = document.createElementNS(svg.namespaceURI, 'polyline');
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', 'currentColor');
      line.setAttribute('stroke-width', '1.5');
      svg.append(line);
      td.replaceChildren(svg);
    }
    const points = (series.get(id) || []).filter((p) => p[0] >= nowS - HOUR_S);
    series.set(id, points);
    const peak = points.length === 0 ? 0 : Math.max(...points.map((p) => p[1]));
    const label =
      points.length === 0 ? 'no power readings' : `last hour, peak ${peak.toFixed(1)} W`;
    svg.setAttribute('aria-label', label);
    const title = svg.querySelector('title');
    if (title) title.textContent = label;
    const line = svg.querySelector('polyline');
    if (line) line.setAttribute('points', sparkPoints(points, nowS));
  };

  const COLUMNS = [
    'model',
    'transport',
    'state',
    'power',
    'spark',
    'voltage',
    'current',
    'energy_total',
    'relay',
    'read',
    'error',
    'polls',
  ];

  /** A new row, inserted in name order (a strip's outlets follow it). */
  const newRow = (d) => {
    const tr = el('tr');
    tr.dataset.id = d.id;
    tr.dataset.name = d.name;
    const name = el('td', undefined, 'name');
    name.append(el('span', d.name, 'n'));
    tr.append(name);
    for (const f of COLUMNS) {
      const td = el('td');
      td.dataset.f = f;
      if (['power', 'voltage', 'current', 'energy_total', 'polls'].includes(f))
        td.className = 'num';
      tr.append(td);
    }
    const after = [...devicesBody.querySelectorAll('tr[data-id]')].find(
      (r) => (r.dataset.name || r.querySelector('.n')?.textContent || '') > d.name,
    );
    devicesBody.querySelector('tr.empty')?.remove();
    devicesBody.insertBefore(tr, after || null);
    rows.set(d.id, tr);
    return tr;
  };

  const showDevice = (d, nowS) => {
    const tr = rows.get(d.id) || newRow(d);
    const state = stateOf(d.online);
    const kind = d.outlet !== null ? ' outlet' : d.outlets !== null ? ' strip' : '';
    tr.className = `${state}${kind}`;
    const name = tr.querySelector('td.name');
    if (name) {
      const parts = [el('span', d.name, 'n')];
      if (d.alias !== null) parts.push(el('span', d.alias, 'alias'));
      name.replaceChildren(...parts);
    }
    const r = d.reading;
    set(tr, 'model', d.model ?? '–');
    set(tr, 'transport', d.transport ?? '–');
    set(
      tr,
      'state',
      el('span', state, 'badge'),
      ' ',
      (() => {
        const s = el('small', 'since ');
        s.append(timeEl(d.since));
        return s;
      })(),
    );
    set(tr, 'power', fmt(r?.power, 1, 'W'));
    set(tr, 'voltage', fmt(r?.voltage, 1, 'V'));
    set(tr, 'current', fmt(r?.current, 3, 'A'));
    set(tr, 'energy_total', fmt(r?.energy_total, 3, 'kWh'));
    set(tr, 'relay', r?.state ?? '–');
    if (d.error === null) set(tr, 'error', '–');
    else {
      const at = el('small');
      at.append(timeEl(d.error.at));
      set(tr, 'error', el('code', d.error.code), ' ', at, ' ', el('span', d.error.message, 'msg'));
    }
    if (d.polls === null) set(tr, 'polls', el('small', '(strip)'));
    else set(tr, 'polls', `${d.polls.ok} / ${d.polls.failed}`);
    drawSpark(tr, d.id, nowS);
  };

  const showSink = (s) => {
    const tr = sinkRows.get(s.name);
    if (!tr) return;
    const state = s.connected === null ? 'n/a' : s.connected ? 'connected' : 'disconnected';
    tr.className = s.connected === null ? 'unknown' : s.connected ? 'online' : 'offline';
    set(tr, 'state', el('span', state, 'badge'));
    set(tr, 'queued', s.queued === null ? '–' : `${s.queued} ${s.unit ?? ''}`.trim());
    set(tr, 'oldest', s.oldestAgeS === null ? '–' : `${Math.round(s.oldestAgeS)} s`);
    set(tr, 'dropped', s.dropped === null ? '–' : String(s.dropped));
    if (s.lastError === null) set(tr, 'error', '–');
    else {
      const at = el('small');
      at.append(timeEl(s.lastError.at));
      set(tr, 'error', el('span', s.lastError.message, 'msg'), ' ', at);
    }
  };

  const nowOf = (iso) => Date.parse(iso) / 1000;

  const applyStatus = (snap) => {
    const nowS = nowOf(snap.generatedAt);
    const seen = new Set();
    for (const d of snap.devices) {
      seen.add(d.id);
      series.set(d.id, d.power.slice());
      showDevice(d, nowS);
    }
    for (const [id, tr] of rows) {
      if (seen.has(id)) continue;
      tr.remove();
      rows.delete(id);
      series.delete(id);
    }
    for (const s of snap.sinks) showSink(s);
  };

  const applyUpdate = (u) => {
    const nowS = nowOf(u.generatedAt);
    for (const d of u.devices) {
      if (d.point) {
        const list = series.get(d.id) || [];
        const last = list[list.length - 1];
        if (last && last[0] === d.point[0]) list[list.length - 1] = d.point;
        else if (!last || last[0] < d.point[0]) list.push(d.point);
        series.set(d.id, list);
      }
      showDevice(d, nowS);
    }
    for (const id of u.removed) {
      rows.get(id)?.remove();
      rows.delete(id);
      series.delete(id);
    }
    for (const s of u.sinks) showSink(s);
  };

  // Server-rendered times are UTC; show them in the browser's zone.
  for (const t of document.querySelectorAll('time[datetime]'))
    t.textContent = localTime(t.dateTime);

  const source = new EventSource('/events');
  source.addEventListener('status', (e) => applyStatus(JSON.parse(e.data)));
  source.addEventListener('update', (e) => applyUpdate(JSON.parse(e.data)));
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'live on';
  });
  source.addEventListener('error', () => {
    live.textContent = 'connection lost, retrying…';
    live.className = 'live off';
  });
})();
