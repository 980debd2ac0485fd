import { describe, expect, it } from 'vitest';
import {
  OUTPUT_MODES,
  SCENARIOS,
  collectorRuns,
  parseOptions,
  windowTicks,
} from '../../bench/options.js';

describe('bench options', () => {
  it('with no flags runs every scenario at 1000 plugs, 1 s, the collector without mqtt.output', () => {
    const o = parseOptions([]);
    expect(o.scenarios).toEqual([...SCENARIOS]);
    expect(o.plugs).toEqual([1000]);
    expect(o.intervalS).toBe(1);
    expect(o.outputs).toEqual([]);
    expect(collectorRuns(o.outputs)).toEqual([{ label: 'collector', output: undefined }]);
    expect(o.fleetPlugs).toBe(20);
    expect(o.scalePlugs).toBe(3000);
    expect(o.rounds).toBe(1);
    // A 10 s steady window: 10 ticks at 1 s, 5 at 2 s.
    expect(windowTicks(o, 1)).toBe(10);
    expect(windowTicks(o, 2)).toBe(5);
  });

  it('--rounds takes a whole number of rounds, at least 1', () => {
    expect(parseOptions(['--rounds', '3']).rounds).toBe(3);
    expect(() => parseOptions(['--rounds', '0'])).toThrow(/--rounds 0/);
    expect(() => parseOptions(['--rounds', '1.5'])).toThrow(/--rounds/);
  });

  it('--outputs gives one collector run per mode, in the order given, each passing its mode', () => {
    const o = parseOptions(['--outputs', 'json,json_and_attributes,json']);
    expect(collectorRuns(o.outputs)).toEqual([
      { label: 'collector[json]', output: 'json' },
      { label: 'collector[json_and_attributes]', output: 'json_and_attributes' },
    ]);
    expect(parseOptions(['--outputs', OUTPUT_MODES.join(',')]).outputs).toEqual([...OUTPUT_MODES]);
  });

  it('refuses an unknown mode, scenario or phase, naming the flag and what it takes', () => {
    expect(() => parseOptions(['--outputs', 'attribute'])).toThrow(
      /--outputs: unknown "attribute"; one or more of json, attributes, json_and_attributes/,
    );
    expect(() => parseOptions(['--scenarios', 'tiny'])).toThrow(/--scenarios: unknown "tiny"/);
    expect(() => parseOptions(['--phases', 'floor,nope'])).toThrow(/--phases: unknown "nope"/);
    expect(() => parseOptions(['--outputs', ','])).toThrow(/--outputs: empty/);
    expect(() => parseOptions(['--plugs', '0'])).toThrow(/--plugs 0: a whole number ≥ 1/);
    expect(() => parseOptions(['--timeout', '1'])).toThrow(/--timeout 1: .*below --interval/);
    expect(() => parseOptions(['--frobnicate'])).toThrow();
  });

  it('--quick leaves out the scale run and halves the window unless told otherwise', () => {
    const quick = parseOptions(['--quick']);
    expect(quick.scenarios).toEqual(['compare', 'small-fleet']);
    expect(windowTicks(quick, 1)).toBe(5);
    expect(windowTicks(quick, 2)).toBe(3);
    expect(parseOptions(['--quick', '--scenarios', 'scale']).scenarios).toEqual(['scale']);
    expect(windowTicks(parseOptions(['--quick', '--ticks', '7']), 2)).toBe(7);
  });

  it('--sweep runs 100, 1000 and 3000 plugs; --bin is made absolute', () => {
    expect(parseOptions(['--sweep']).plugs).toEqual([100, 1000, 3000]);
    expect(parseOptions(['--bin', 'old/dist/bin.js']).bin).toMatch(/^\/.*old\/dist\/bin\.js$/);
  });
});
