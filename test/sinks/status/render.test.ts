import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../../src/sinks/status/board.js';
import { escapeHtml, renderPage, sparkPoints } from '../../../src/sinks/status/render.js';

const HOSTILE = `<script>alert("x")</script>' onmouseover='alert(1)`;

const SNAP: StatusSnapshot = {
  version: 1,
  generatedAt: '2026-01-02T03:04:05.000Z',
  intervalS: 10,
  devices: [
    {
      id: `10.0.0.5:9999`,
      name: 'fridge',
      alias: HOSTILE,
      model: `HS110"><b>`,
      transport: 'xor',
      host: '10.0.0.5',
      port: 9999,
      outlet: null,
      outlets: null,
      online: false,
      since: '2026-01-02T03:00:00.000Z',
      reading: {
        time: '2026-01-02T03:04:00.000Z',
        power: 12.5,
        voltage: 230.1,
        current: 0.0541,
        energy_total: 41.3721,
        state: 'ON',
      },
      error: {
        code: 'PLUG_BAD_REPLY',
        message: `reply <img src=x onerror=alert(2)> & "quotes"`,
        at: '2026-01-02T03:04:05.000Z',
      },
      polls: { ok: 12, failed: 3 },
      power: [
        [1767322805, 10],
        [1767323045, 20],
      ],
    },
  ],
  sinks: [
    {
      name: 'mqtt',
      connected: false,
      queued: 4,
      unit: 'readings',
      oldest: '2026-01-02T03:03:05.000Z',
      oldestAgeS: 60,
      dropped: 0,
      lastError: {
        message: 'connect ECONNREFUSED <127.0.0.1:1883>',
        at: '2026-01-02T03:04:00.000Z',
      },
    },
  ],
};

describe('status page HTML', () => {
  it('escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('renders every device-supplied string as text, never markup', () => {
    const html = renderPage(SNAP);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain(`' onmouseover='`);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('reply &lt;img src=x onerror=alert(2)&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('connect ECONNREFUSED &lt;127.0.0.1:1883&gt;');
    // The only scripts are the page's own file.
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="/status.js" defer></script>');
  });

  it('has the numbers in the page for readers without JavaScript', () => {
    const html = renderPage(SNAP);
    for (const text of [
      '12.5 W',
      '230.1 V',
      '0.054 A',
      '41.372 kWh',
      '12 / 3',
      'PLUG_BAD_REPLY',
      '4 readings',
      '60 s',
    ])
      expect(html).toContain(text);
    expect(html).toContain('class="offline"');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="10"></noscript>');
  });

  it('draws the sparkline from numbers over the span of the points', () => {
    expect(sparkPoints([], 1000)).toBe('');
    // Two points 240 s apart, the last at "now": x 0 and 160, y from 0 W (31) up to the peak (1).
    expect(
      sparkPoints(
        [
          [760, 10],
          [1000, 20],
        ],
        1000,
      ),
    ).toBe('0.0,16.0 160.0,1.0');
    expect(renderPage(SNAP)).toContain('points="0.0,16.0 160.0,1.0"');
  });
});
