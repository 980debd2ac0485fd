import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import type { Collector } from '../../../src/collector/collector.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { DEMO_FLEET } from '../../../src/demo/demo.js';
import { buildCollector } from '../../../src/main.js';
import { startFleet, type Fleet, type FleetSpec } from '../../../src/sim/fleet.js';
import type { StatusSnapshot } from '../../../src/sinks/status/board.js';
import { freePort, startBroker, type TestBroker } from '../../fakes/broker.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/**
 * The status page in a real browser: headless Chromium from Debian's `chromium` package, driven
 * by playwright-core (which never downloads a browser), against the demo's simulated fleet in
 * this process plus one plug whose alias is hostile markup. `.ci/run` installs `chromium`;
 * without it this suite is skipped with a warning. `KASA_CHROMIUM` names another binary;
 * `KASA_STATUS_SCREENSHOT` where the screenshot goes (default: a temp dir, path printed).
 */
const CHROMIUM =
  process.env['KASA_CHROMIUM'] ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (CHROMIUM === undefined) {
  console.warn(
    'browser.test.ts: no Chromium at /usr/bin/chromium (apt-get install chromium); ' +
      'the status page browser test is skipped',
  );
}

/** The flags that work on a machine without a network beyond loopback. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const HOSTILE = `<img src=x onerror="window.__pwned=1">"'<script>window.__pwned=2</script>`;
const INTERVAL_S = 3;

describe.skipIf(CHROMIUM === undefined)('the status page in a real browser', () => {
  let broker: TestBroker;
  let fleet: Fleet;
  let collector: Collector;
  let browser: Browser;
  let page: Page;
  let url: string;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-status-'));

  const api = async (): Promise<StatusSnapshot> =>
    (await (await fetch(`${url}api/status`)).json()) as StatusSnapshot;

  beforeAll(async () => {
    broker = await startBroker();
    const specs: FleetSpec[] = [...DEMO_FLEET, { profile: 'hs100', alias: HOSTILE, load: 'lamp' }];
    fleet = await startFleet(specs);
    const defaults = loadConfig({ env: {} });
    const port = await freePort();
    const config: Config = {
      ...defaults,
      // offlineAfter 1: the first failed poll turns a plug offline.
      // A generous timeout: a strip's seven requests must fit in it on a loaded machine.
      poll: { interval: INTERVAL_S, timeout: 2, concurrency: 8, offlineAfter: 1 },
      devices: fleet.members.map((m) => ({ host: m.host, port: m.port })),
      mqtt: { ...defaults.mqtt, url: broker.url, clientId: 'kasa-status-browser' },
      http: { enabled: true, host: '127.0.0.1', port },
      state: { dir: stateDir },
    };
    url = `http://127.0.0.1:${port}/`;
    collector = buildCollector(config, memoryLogger('warn').log, systemClock);
    await collector.start();
    // Two good ticks: values and the start of a sparkline for every device.
    await waitForSnapshot(
      (s) => s.devices.length === 12 && s.devices.every((d) => d.polls === null || d.polls.ok >= 2),
    );
    // playwright-core starts the browser with a fresh temporary profile (--user-data-dir).
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    await fleet?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Polls /api/status until `cond` holds. */
  async function waitForSnapshot(cond: (s: StatusSnapshot) => boolean): Promise<StatusSnapshot> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await api();
      if (cond(s)) return s;
      if (Date.now() > deadline) throw new Error(`status never matched: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const cellText = (id: string, field: string): Promise<string> =>
    page.locator(`tr[data-id="${id}"] td[data-f="${field}"]`).innerText();

  it('shows every device with its values, and goes live', async () => {
    await page.goto(url);
    await page.locator('#live', { hasText: /^live$/ }).waitFor({ timeout: 10_000 });
    const snap = await api();
    expect(snap.devices).toHaveLength(12);
    for (const d of snap.devices) {
      const row = page.locator(`tr[data-id="${d.id}"]`);
      await expect(row.locator('td.name .n').innerText()).resolves.toBe(d.name);
      await expect(cellText(d.id, 'model')).resolves.toBe(d.model);
      await expect(cellText(d.id, 'transport')).resolves.toBe('xor');
      await expect(row.getAttribute('class')).resolves.toMatch(/^online/);
      if (d.reading?.power !== undefined) {
        expect(await cellText(d.id, 'power')).toMatch(/^\d+\.\d W$/);
        expect(await cellText(d.id, 'voltage')).toMatch(/^\d+\.\d V$/);
        expect(await cellText(d.id, 'energy_total')).toMatch(/^\d+\.\d{3} kWh$/);
        expect(d.power.length).toBeGreaterThanOrEqual(1);
        const points = await row.locator('polyline').getAttribute('points');
        expect(points?.split(' ').length).toBeGreaterThanOrEqual(1);
      } else {
        // The HS100: a relay, no meter.
        expect(await cellText(d.id, 'power')).toBe('–');
        expect(await cellText(d.id, 'relay')).toBe('ON');
      }
    }
    const names = await page.locator('#devices td.name .n').allInnerTexts();
    expect(names).toEqual(expect.arrayContaining(['fridge', 'office_strip/monitor', 'hall_lamp']));
    expect(await page.locator('#sinks tr[data-sink="mqtt"] .badge').innerText()).toBe('connected');
  });

  it('shows a hostile alias as text: no markup, no script ran', async () => {
    const snap = await api();
    const hostile = snap.devices.find((d) => d.alias === HOSTILE);
    expect(hostile).toBeDefined();
    const alias = page.locator(`tr[data-id="${hostile!.id}"] .alias`);
    await expect(alias.innerText()).resolves.toBe(HOSTILE);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#devices img, #devices script').count()).toBe(0);
  });

  it('turns a plug that stops answering offline within one tick, without a reload', async () => {
    const desk = fleet.members.find((m) => m.spec.alias === 'Desk')!;
    const id = `${desk.host}:${desk.port}`;
    await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 42));
    await expect(page.locator(`tr[data-id="${id}"]`).getAttribute('class')).resolves.toMatch(
      /^online/,
    );
    // When the row turns offline, by the browser's clock (the same machine's).
    await page.evaluate((rowId) => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { classList: { contains(c: string): boolean } } };
        MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void };
        __offlineAt?: number;
      };
      const row = g.document.querySelector(`tr[data-id="${rowId}"]`);
      new g.MutationObserver(() => {
        if (row.classList.contains('offline')) g.__offlineAt ??= Date.now();
      }).observe(row, { attributes: true });
    }, id);
    const faultAt = Date.now();
    await desk.plug.setFault('hang', true);
    await page.locator(`tr[data-id="${id}"].offline`).waitFor({ timeout: 15_000 });
    const offlineAt = await page.evaluate(
      () => (globalThis as { __offlineAt?: number }).__offlineAt,
    );
    const since = Date.parse((await api()).devices.find((d) => d.id === id)!.since);
    // The collector declared it offline after the fault (its first failed poll), and the open
    // page showed it within one tick of that, without a reload.
    expect(since).toBeGreaterThanOrEqual(faultAt);
    expect(offlineAt! - since).toBeLessThanOrEqual(INTERVAL_S * 1000);
    expect(await cellText(id, 'error')).toContain('PLUG_TIMEOUT');
    expect(await page.evaluate(() => (globalThis as { __marker?: number }).__marker)).toBe(42);
    const file =
      process.env['KASA_STATUS_SCREENSHOT'] ?? path.join(stateDir, '..', 'kasa-status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    console.info(`browser.test.ts: screenshot saved to ${file}`);
    await desk.plug.setFault('hang', false);
  });

  it('works with JavaScript off: the numbers are in the page', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const off = await noScript.newPage();
    try {
      await off.goto(url);
      const snap = await api();
      const fridge = snap.devices.find((d) => d.name === 'fridge')!;
      const power = await off.locator(`tr[data-id="${fridge.id}"] td[data-f="power"]`).innerText();
      expect(power).toMatch(/^\d+\.\d W$/);
      expect(await off.locator('#live').innerText()).toContain('not live');
      expect(await off.locator('#devices tbody tr').count()).toBe(12);
    } finally {
      await noScript.close();
    }
  });
});
