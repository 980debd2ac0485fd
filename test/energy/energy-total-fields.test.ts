import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMONHUB_FIELDS } from '../../src/config/keys.js';
import { loadConfig } from '../../src/config/load.js';
import { MEASUREMENT_FIELDS } from '../../src/reading.js';
import { readingToValues } from '../../src/sinks/emonhub/line.js';
import { makeReading } from '../sinks/helpers.js';

/** `energy_total` as a field name: published order, emonhub opt-in, the default left alone. */

const dir = mkdtempSync(path.join(tmpdir(), 'kasa-energy-fields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('energy_total as a reading field', () => {
  it('is published right after energy', () => {
    expect(MEASUREMENT_FIELDS).toEqual([
      'power',
      'energy',
      'energy_total',
      'voltage',
      'current',
      'state',
      'rssi',
    ]);
  });

  it('may be listed in emonhub.fields, but the default stays the community six', () => {
    expect(EMONHUB_FIELDS).toContain('energy_total');
    expect(loadConfig({ env: {} }).emonhub.fields).toEqual([
      'voltage',
      'current',
      'power',
      'energy',
      'state',
      'rssi',
    ]);
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ emonhub: { fields: ['power', 'energy_total'] } }));
    expect(loadConfig({ file, env: {} }).emonhub.fields).toEqual(['power', 'energy_total']);
  });

  it('goes into an emonhub frame when present, and is reported missing when not', () => {
    const r = makeReading({ values: { power: 12.5, energy_total: 1234.5 } });
    expect(readingToValues(r, ['power', 'energy_total'])).toEqual([12.5, 1234.5]);
    const without = makeReading({ values: { power: 12.5 } });
    expect(readingToValues(without, ['power', 'energy_total'])).toEqual({
      missing: ['energy_total'],
    });
  });
});
