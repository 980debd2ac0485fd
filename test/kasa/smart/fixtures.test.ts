/**
 * Every capture of a newer plug (python-kasa's SMART fixtures, and the HS100 hw 4.1 speaking IOT
 * over KLAP), replayed through the simulator's KLAP or AES server and found the way the collector
 * finds a plug: TCP 9999 refused, then discovery on UDP (`test/fakes/smart-fixture.ts`). The
 * expected readings are written out by hand from each capture's raw fields (W from
 * `get_emeter_data.power_mw` / 1000, else `get_energy_usage.current_power` / 1000, else
 * `get_current_power.current_power`; kWh from `today_energy` / 1000; V and A from `voltage_mv`,
 * `current_ma` / 1000), so a normalizing mistake cannot hide behind the code under test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AutoDevice } from '../../../src/kasa/connect.js';
import type { DeviceSample } from '../../../src/kasa/sample.js';
import type { Measurement } from '../../../src/reading.js';
import {
  iotKlapFixture,
  loadFixture,
  smartFixtureFiles,
  smartFixturesAvailable,
  startFixturePlug,
  type FixturePlug,
} from '../../fakes/smart-fixture.js';
import { refusedPort } from '../../fakes/refused-port.js';

if (!smartFixturesAvailable)
  console.warn('smart fixtures.test.ts: ../shared/fixtures/kasa-smart is missing; suite skipped');

const account = { username: 'owner@example.com', password: 'Capture-Replay-1' };

interface Expected {
  transport: 'klap' | 'aes';
  protocol: 'iot' | 'smart';
  /** A plug's values (state and rssi included). */
  values?: Measurement;
  /** A strip's outlets by child id. */
  outlets?: Record<string, Measurement>;
  hasEmeter: boolean;
}

const off = (v: Measurement): Measurement => ({ state: 'OFF', ...v });
const on = (v: Measurement): Measurement => ({ state: 'ON', ...v });

/** The readings, written out from each capture's fields (see the header). */
const EXPECTED: Record<string, Expected> = {
  'EP25(US)_2.6_1.0.1.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: on({ rssi: -51, power: 0, energy: 0 }),
  },
  'EP25(US)_2.6_1.0.2.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: on({ rssi: -56, power: 0, energy: 0 }),
  },
  'EP40M(US)_1.0_1.1.0.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: false,
    outlets: { SCRUBBED_CHILD_DEVICE_ID_1: {}, SCRUBBED_CHILD_DEVICE_ID_2: {} },
  },
  'KP125M(US)_1.0_1.1.3.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: on({ rssi: -62, power: 17.654, energy: 0.513 }),
  },
  'KP125M(US)_1.0_1.2.3.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    values: on({ rssi: -50, power: 1.003, energy: 0.02, voltage: 121.215, current: 0.033 }),
  },
  'P110(AU)_1.0_1.3.1.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    values: off({ rssi: -53, power: 0, energy: 0, voltage: 238.609, current: 0 }),
  },
  'P110(EU)_1.0_1.0.7.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: off({ rssi: -55, power: 0, energy: 0 }),
  },
  'P110(EU)_1.0_1.2.3.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: off({ rssi: -42, power: 0, energy: 0.046 }),
  },
  'P110(UK)_1.0_1.3.0.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    values: off({ rssi: -45, power: 0, energy: 0 }),
  },
  'P110M(EU)_1.0_1.2.3.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    values: off({ rssi: -33, power: 0, energy: 0, voltage: 233.509, current: 0 }),
  },
  'P115(EU)_1.0_1.2.3.json': {
    transport: 'aes',
    protocol: 'smart',
    hasEmeter: true,
    values: on({ rssi: -45, power: 8.962, energy: 0 }),
  },
  'P304M(UK)_1.0_1.0.3.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    outlets: Object.fromEntries(
      [1, 2, 3, 4].map((n) => [`SCRUBBED_CHILD_DEVICE_ID_${n}`, { power: 0, energy: 0 }]),
    ),
  },
  'P316M(US)_1.6_1.0.5.json': {
    transport: 'klap',
    protocol: 'smart',
    hasEmeter: true,
    outlets: {
      SCRUBBED_CHILD_DEVICE_ID_1: { power: 0, energy: 0, voltage: 120.209, current: 0 },
      SCRUBBED_CHILD_DEVICE_ID_2: { power: 0, energy: 0, voltage: 120.118, current: 0 },
      SCRUBBED_CHILD_DEVICE_ID_3: {
        power: 38.617,
        energy: 0.023,
        voltage: 119.299,
        current: 0.335,
      },
      SCRUBBED_CHILD_DEVICE_ID_4: { power: 1.999, energy: 0, voltage: 119.801, current: 0.085 },
      SCRUBBED_CHILD_DEVICE_ID_5: { power: 0, energy: 0, voltage: 120.047, current: 0 },
      SCRUBBED_CHILD_DEVICE_ID_6: { power: 0, energy: 0, voltage: 119.868, current: 0 },
    },
  },
  'HS100(UK)_4.1_1.1.0.json': {
    transport: 'klap',
    protocol: 'iot',
    hasEmeter: false,
    values: off({ rssi: -43 }),
  },
};

const files = [...smartFixtureFiles(), ...(smartFixturesAvailable ? [iotKlapFixture] : [])];
const plugs: FixturePlug[] = [];
afterAll(async () => {
  for (const p of plugs) await p.stop();
});

/** What a reading holds, for the table in the report. */
function row(sample: DeviceSample): Record<string, Measurement> {
  if (sample.outlets === undefined) return { plug: sample.values };
  return Object.fromEntries(sample.outlets.map((o) => [o.id, o.values]));
}

describe.skipIf(!smartFixturesAvailable)('newer plugs replayed from captures', () => {
  it('has an expectation for every capture', () => {
    expect(smartFixtureFiles().sort()).toEqual(
      Object.keys(EXPECTED)
        .filter((f) => !f.startsWith('HS100'))
        .sort(),
    );
  });

  it.each(files.map((f) => [f.split('/').pop() as string, f]))(
    '%s: found, read and switched',
    async (name, file) => {
      const fixture = loadFixture(file);
      const want = EXPECTED[name] as Expected;
      const plug = await startFixturePlug(fixture, account);
      plugs.push(plug);
      expect(plug.transport).toBe(want.transport);
      const device = new AutoDevice({
        host: '127.0.0.1',
        port: await refusedPort(),
        account,
        discoveryPort: plug.tdp.port,
      });
      try {
        const sample = await device.poll(10_000);
        expect(device.connection).toMatchObject({
          transport: want.transport,
          protocol: want.protocol,
          port: plug.http.port,
        });
        expect(sample.hasEmeter).toBe(want.hasEmeter);
        if (process.env['SMART_FIXTURE_TABLE'] !== undefined)
          console.log(`TABLE ${name} ${want.transport} ${JSON.stringify(row(sample))}`);
        if (want.values !== undefined) {
          expect(sample.outlets).toBeUndefined();
          expect(sample.values).toEqual(want.values);
          await device.setRelay(want.values.state !== 'ON', 5000);
          const after = await device.poll(5000);
          expect(after.values.state).toBe(want.values.state === 'ON' ? 'OFF' : 'ON');
        } else {
          const outlets = want.outlets as Record<string, Measurement>;
          expect(sample.outlets?.map((o) => o.id).sort()).toEqual(Object.keys(outlets).sort());
          for (const o of sample.outlets ?? []) {
            const { state, ...values } = o.values;
            expect(values, `${name} ${o.id}`).toEqual(outlets[o.id]);
            expect(state).toMatch(/^(ON|OFF)$/);
          }
          const first = (sample.outlets ?? [])[0];
          if (first === undefined) throw new Error('no outlet');
          await device.setRelay(first.values.state !== 'ON', 5000, first.id);
          const after = await device.poll(5000);
          const again = after.outlets?.find((o) => o.id === first.id);
          expect(again?.values.state).toBe(first.values.state === 'ON' ? 'OFF' : 'ON');
        }
      } finally {
        device.close();
      }
    },
  );
});
