import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyTotals } from '../../src/energy/totals.js';
import { TOTALS_FILE } from '../../src/energy/totals-file.js';
import { createMqttOutbox, MQTT_OUTBOX_FILE } from '../../src/sinks/mqtt/outbox-store.js';
import { tasmotaReadingMessages } from '../../src/sinks/tasmota/topics.js';
import { readingMessages } from '../../src/sinks/mqtt/topics.js';
import { createEmonhubQueue, EMONHUB_QUEUE_FILE } from '../../src/sinks/emonhub/queue.js';
import { JsonFile, KEEP_SET_ASIDE } from '../../src/storage/json-file.js';
import { Outbox } from '../../src/storage/outbox.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { emonhubConfig, makeReading, mqttConfig } from '../sinks/helpers.js';

/**
 * State files degrade per entry: a bad entry is dropped and logged, the good ones kept; only a
 * file that is not a state file at all is set aside, and set-aside copies do not pile up.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kasa-degrade-'));
  dirs.push(d);
  return d;
}
const T0 = 1_700_000_000;

describe('energy totals file, entry by entry', () => {
  it('one bad entry is dropped and logged; an unrelated plug keeps its lifetime total', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, TOTALS_FILE),
      JSON.stringify({
        version: 1,
        devices: {
          '50:C7:BF:00:00:01': { total: 500.012, last: 3.25, updated: T0 },
          '50:C7:BF:00:00:02': { total: -1 },
          '50:C7:BF:00:00:03': { total: 1e308, last: 1, updated: T0 },
        },
      }),
    );
    const clock = new ManualClock(T0 * 1000);
    const mem = memoryLogger();
    const totals = new EnergyTotals({ dir, clock, log: mem.log, maxPower: 4000 });
    expect(totals.load()).toEqual({ status: 'ok', devices: 1, dropped: 2 });
    expect(totals.get('50:C7:BF:00:00:01')?.total).toBe(500.012);
    expect(totals.update('50:C7:BF:00:00:01', 3.26, T0 + 10)).toBeCloseTo(500.022, 9);
    const dropped = mem.lines.filter((l) => String(l['msg']).includes('dropped'));
    expect(dropped.map((l) => l['key'])).toEqual(['50:C7:BF:00:00:02', '50:C7:BF:00:00:03']);
    expect(dropped[0]).toMatchObject({ level: 40 });
    expect(String(dropped[1]!['reason'])).toContain('from 0 to 701280');
    // Nothing set aside; the file is rewritten without the bad entries.
    expect(readdirSync(dir)).toEqual([TOTALS_FILE]);
    totals.close();
    const file = JSON.parse(readFileSync(path.join(dir, TOTALS_FILE), 'utf8'));
    expect(Object.keys(file.devices)).toEqual(['50:C7:BF:00:00:01']);
  });
});

describe('outboxes, item by item', () => {
  it('one bad reading among 27 is dropped; the 26 others are restored in order', () => {
    const dir = tempDir();
    const items = Array.from({ length: 27 }, (_, i) => i);
    const raw = items.map((i) => (i === 13 ? 'thirteen' : i));
    writeFileSync(path.join(dir, 'box.json'), JSON.stringify({ version: 1, items: raw }));
    const mem = memoryLogger();
    const box = new Outbox<number>({
      dir,
      name: 'box.json',
      maxEntries: 100,
      maxBytes: 1 << 20,
      validateItem: (v) => {
        if (typeof v !== 'number') throw new Error(`${JSON.stringify(v)} is not a number`);
        return v;
      },
      log: mem.log,
      clock: new ManualClock(T0 * 1000),
      label: 'test outbox',
    });
    expect(box.load()).toEqual({ restored: 26, dropped: 0, invalid: 1 });
    expect(box.peek(30)).toEqual(items.filter((i) => i !== 13));
    const warn = mem.lines.filter((l) => l['level'] === 40);
    expect(warn).toHaveLength(1);
    expect(String(warn[0]!['msg'])).toContain('#13: "thirteen" is not a number');
    expect(readdirSync(dir)).toEqual(['box.json']);
    box.close();
  });

  it('a frame of the emonhub queue that no longer fits the config is dropped, the rest kept', () => {
    const dir = tempDir();
    const good = '1700000000 5 230 1 2 3 1 -50\r\n';
    const items = [good, '1700000000 5 230 1 2 3 1\r\n', good.replace('230', '231')];
    writeFileSync(path.join(dir, EMONHUB_QUEUE_FILE), JSON.stringify({ version: 1, items }));
    const mem = memoryLogger();
    const queue = createEmonhubQueue(
      emonhubConfig(1),
      { stateDir: dir },
      mem.log,
      new ManualClock(T0 * 1000),
    );
    expect(queue.load()).toMatchObject({ restored: 2, invalid: 1 });
    expect(queue.peek(5)).toEqual([items[0], items[2]]);
    queue.close();
  });

  it('with mqtt.format "tasmota", a saved backlog survives a restart', () => {
    const dir = tempDir();
    const config = mqttConfig('mqtt://127.0.0.1:1', { format: 'tasmota' });
    const clock = new ManualClock(T0 * 1000);
    const a = createMqttOutbox(config, { stateDir: dir }, memoryLogger().log, clock);
    a.load();
    const entries = [0, 1, 2].map((i) => tasmotaReadingMessages(makeReading({ time: T0 + i })));
    for (const e of entries) a.push(e);
    a.close();
    const mem = memoryLogger();
    const b = createMqttOutbox(config, { stateDir: dir }, mem.log, clock);
    expect(b.load()).toMatchObject({ restored: 3 });
    expect(mem.lines.filter((l) => l['level'] >= 40)).toEqual([]);
    expect(readdirSync(dir)).toEqual([MQTT_OUTBOX_FILE]);
    b.close();
  });

  it('with the default format, an entry under another prefix is still refused', () => {
    const dir = tempDir();
    const clock = new ManualClock(T0 * 1000);
    const other = readingMessages(makeReading({ time: T0 }), 'old');
    const mine = readingMessages(makeReading({ time: T0 + 1 }), 'kasa');
    writeFileSync(
      path.join(dir, MQTT_OUTBOX_FILE),
      JSON.stringify({ version: 1, items: [other, mine] }),
    );
    const config = mqttConfig('mqtt://127.0.0.1:1', { topicPrefix: 'kasa' });
    const box = createMqttOutbox(config, { stateDir: dir }, memoryLogger().log, clock);
    expect(box.load()).toMatchObject({ restored: 1, invalid: 1 });
    box.close();
  });
});

describe('set-aside copies', () => {
  it(`a file that is not JSON is set aside once; only the last ${KEEP_SET_ASIDE} copies are kept`, () => {
    const dir = tempDir();
    const file = new JsonFile<unknown>(dir, 'state.json', (v) => v);
    for (let i = 0; i < 6; i++) {
      writeFileSync(file.file, `not json ${i}`);
      expect(file.read(T0 * 1000 + i).status).toBe('corrupt');
      expect(existsSync(file.file)).toBe(false);
    }
    expect(readdirSync(dir).sort()).toEqual([
      `state.json.corrupt-${T0 * 1000 + 3}`,
      `state.json.corrupt-${T0 * 1000 + 4}`,
      `state.json.corrupt-${T0 * 1000 + 5}`,
    ]);
    expect(readFileSync(path.join(dir, `state.json.corrupt-${T0 * 1000 + 5}`), 'utf8')).toBe(
      'not json 5',
    );
    expect(file.read(T0 * 1000 + 9).status).toBe('missing');
  });
});
