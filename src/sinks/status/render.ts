/**
 * The status page as HTML, rendered on the server from a {@link StatusSnapshot}: every number is
 * in the page, so it works with JavaScript off (a `<noscript>` refresh reloads it once per
 * interval); `static/status.js` then keeps it live. Pure string building.
 *
 * Every string that can come from a plug (alias, model, error message) or from the config
 * (names, hosts) goes through {@link escapeHtml}, in text and in attributes alike, and the
 * page's Content-Security-Policy (`sink.ts`) allows no inline script as a second line of
 * defence. The sparkline is inline SVG built from numbers only.
 */
import type { DeviceStatus, SinkStatusJson, StatusSnapshot } from './board.js';
import { HISTORY_S, type PowerPoint } from './ring.js';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '`: safe in element text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A number with `decimals` places and its unit, or `–` when absent or not finite. */
export function formatValue(v: number | undefined | null, decimals: number, unit: string): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(decimals)} ${unit}` : '–';
}

/**
 * `03:04:05 UTC`, or `2026-01-02 03:04:05 UTC` when not on the day of `today` (an ISO time);
 * the script shows local time instead.
 */
function shortTime(isoTime: string, today: string): string {
  const clock = `${isoTime.slice(11, 19)} UTC`;
  return isoTime.slice(0, 10) === today.slice(0, 10) ? clock : `${isoTime.slice(0, 10)} ${clock}`;
}

/** A `<time>` element; `today` (ISO) decides whether the date is shown. */
function time(isoTime: string | null, today: string): string {
  if (isoTime === null) return '–';
  return `<time datetime="${escapeHtml(isoTime)}">${escapeHtml(shortTime(isoTime, today))}</time>`;
}

/** Sparkline size, px. */
export const SPARK = { width: 160, height: 32 } as const;

/** The least time the sparkline's width stands for, s: a few points do not fill it. */
export const SPARK_MIN_SPAN_S = 60;

/**
 * The `points` of the sparkline polyline: x from the oldest point (at most an hour before
 * `nowS`; at least {@link SPARK_MIN_SPAN_S} before it) to `nowS`, y from 0 W (bottom) to the
 * maximum (top, at least 1 W so a flat 0 W line stays at the bottom).
 * @returns e.g. `0.0,31.0 80.0,16.0`; empty without points
 */
export function sparkPoints(points: readonly PowerPoint[], nowS: number): string {
  if (points.length === 0) return '';
  const max = Math.max(1, ...points.map(([, w]) => w));
  const { width, height } = SPARK;
  const oldest = (points[0] as PowerPoint)[0];
  const span = Math.min(HISTORY_S, Math.max(SPARK_MIN_SPAN_S, nowS - oldest));
  return points
    .map(([t, w]) => {
      const x = ((t - (nowS - span)) / span) * width;
      const y = height - (Math.max(0, w) / max) * (height - 2) - 1;
      return `${Math.min(width, Math.max(0, x)).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

function sparkline(d: DeviceStatus, nowS: number): string {
  const points = sparkPoints(d.power, nowS);
  const max = d.power.length === 0 ? 0 : Math.max(...d.power.map(([, w]) => w));
  const label = d.power.length === 0 ? 'no power readings' : `last hour, peak ${max.toFixed(1)} W`;
  return (
    `<svg class="spark" viewBox="0 0 ${SPARK.width} ${SPARK.height}" width="${SPARK.width}" ` +
    `height="${SPARK.height}" role="img" aria-label="${label}"><title>${label}</title>` +
    `<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${points}"/></svg>`
  );
}

/** `online`, `offline` or `unknown`: the row's class and badge. */
export function stateOf(online: boolean | null): 'online' | 'offline' | 'unknown' {
  return online === true ? 'online' : online === false ? 'offline' : 'unknown';
}

function deviceRow(d: DeviceStatus, nowS: number, today: string): string {
  const r = d.reading;
  const state = stateOf(d.online);
  const name = escapeHtml(d.name);
  const alias = d.alias === null ? '' : `<span class="alias">${escapeHtml(d.alias)}</span>`;
  const error =
    d.error === null
      ? '–'
      : `<code>${escapeHtml(d.error.code)}</code> <small>${time(d.error.at, today)}</small> ` +
        `<span class="msg">${escapeHtml(d.error.message)}</span>`;
  const polls = d.polls === null ? '<small>(strip)</small>' : `${d.polls.ok} / ${d.polls.failed}`;
  const kind = d.outlet !== null ? ' outlet' : d.outlets !== null ? ' strip' : '';
  return (
    `<tr data-id="${escapeHtml(d.id)}" class="${state}${kind}">` +
    `<td class="name"><span class="n">${name}</span>${alias}</td>` +
    `<td data-f="model">${escapeHtml(d.model ?? '–')}</td>` +
    `<td data-f="transport">${escapeHtml(d.transport ?? '–')}</td>` +
    `<td data-f="state"><span class="badge">${state}</span> <small>since ${time(d.since, today)}</small></td>` +
    `<td data-f="power" class="num">${formatValue(r?.power, 1, 'W')}</td>` +
    `<td data-f="spark">${sparkline(d, nowS)}</td>` +
    `<td data-f="voltage" class="num">${formatValue(r?.voltage, 1, 'V')}</td>` +
    `<td data-f="current" class="num">${formatValue(r?.current, 3, 'A')}</td>` +
    `<td data-f="energy_total" class="num">${formatValue(r?.energy_total, 3, 'kWh')}</td>` +
    `<td data-f="relay">${escapeHtml(r?.state ?? '–')}</td>` +
    `<td data-f="error">${error}</td>` +
    `<td data-f="polls" class="num">${polls}</td>` +
    '</tr>'
  );
}

function sinkRow(s: SinkStatusJson, today: string): string {
  const state = s.connected === null ? 'n/a' : s.connected ? 'connected' : 'disconnected';
  const cls = s.connected === null ? 'unknown' : s.connected ? 'online' : 'offline';
  const backlog = s.queued === null ? '–' : `${s.queued} ${escapeHtml(s.unit ?? '')}`.trim();
  const oldest = s.oldestAgeS === null ? '–' : `${Math.round(s.oldestAgeS)} s`;
  const error =
    s.lastError === null
      ? '–'
      : `<span class="msg">${escapeHtml(s.lastError.message)}</span> <small>${time(s.lastError.at, today)}</small>`;
  return (
    `<tr data-sink="${escapeHtml(s.name)}" class="${cls}">` +
    `<td class="name">${escapeHtml(s.name)}</td>` +
    `<td data-f="state"><span class="badge">${state}</span></td>` +
    `<td data-f="queued" class="num">${backlog}</td>` +
    `<td data-f="oldest" class="num">${oldest}</td>` +
    `<td data-f="dropped" class="num">${s.dropped ?? '–'}</td>` +
    `<td data-f="error">${error}</td>` +
    '</tr>'
  );
}

/**
 * The whole page.
 * @param snap the snapshot to show
 * @returns an HTML5 document
 */
export function renderPage(snap: StatusSnapshot): string {
  const nowS = Date.parse(snap.generatedAt) / 1000;
  const refresh = Math.max(10, snap.intervalS);
  const today = snap.generatedAt;
  const devices =
    snap.devices.length === 0
      ? '<tr class="empty"><td colspan="12">No device polled yet: the first tick is at most one interval away.</td></tr>'
      : snap.devices.map((d) => deviceRow(d, nowS, today)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kasa-collector status</title>
<link rel="stylesheet" href="/status.css">
<noscript><meta http-equiv="refresh" content="${refresh}"></noscript>
<script src="/status.js" defer></script>
</head>
<body data-interval="${snap.intervalS}">
<header>
<h1>kasa-collector</h1>
<p>Polled every ${snap.intervalS} s. As of ${time(snap.generatedAt, today)}. <span id="live" class="live">not live (reload for new values)</span></p>
</header>
<main>
<h2>Devices</h2>
<div class="scroll">
<table id="devices">
<thead><tr><th>Device</th><th>Model</th><th>Transport</th><th>State</th><th>Power</th><th>Last hour</th><th>Voltage</th><th>Current</th><th>Energy (lifetime)</th><th>Relay</th><th>Last error</th><th>Polls ok / failed</th></tr></thead>
<tbody>
${devices}
</tbody>
</table>
</div>
<h2>Outputs</h2>
<table id="sinks">
<thead><tr><th>Sink</th><th>State</th><th>Backlog</th><th>Oldest waiting</th><th>Dropped</th><th>Last error</th></tr></thead>
<tbody>
${snap.sinks.map((x) => sinkRow(x, today)).join('\n')}
</tbody>
</table>
<p class="foot">Same data as JSON: <a href="/api/status">/api/status</a>. Metrics: <a href="/metrics">/metrics</a>.</p>
</main>
</body>
</html>
`;
}
