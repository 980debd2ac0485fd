/**
 * The Tasmota layout (`mqtt.format: "tasmota"`), for dashboards and Node-RED flows built on
 * Tasmota plugs (Tasmota's MQTT docs, tasmota.github.io/docs/MQTT/). Pure, like
 * `../mqtt/topics.ts`:
 * - `tele/<name>/SENSOR` `{"Time":"2023-11-14T22:13:20Z","ENERGY":{"Total":kWh,"Power":W,
 *   "Voltage":V,"Current":A}}`, not retained (Tasmota's own default); `Total` is the lifetime
 *   `energy_total` when known, else the plug's since-boot `energy`. Not sent without any of them.
 * - `tele/<name>/STATE` `{"Time":…,"POWER":"ON"|"OFF"}`, not retained.
 * - `tele/<name>/LWT` `Online` | `Offline`, retained.
 *
 * `Time` is the tick in UTC with a `Z` (Tasmota writes local time without a zone; a zone makes
 * the harmonized tick unambiguous). The topics do not use `mqtt.topicPrefix`: `tele/` is the
 * Tasmota convention. Values are rounded as in the default layout.
 */
import type { DeviceInfo, Reading } from '../../reading.js';
import type { MqttMessage, TopicLayout } from '../mqtt/topics.js';
import { roundTo } from '../mqtt/decimals.js';
import { PUBLISH_DECIMALS, assertDeviceName } from '../mqtt/topics.js';

/** The first level of every Tasmota topic this layout publishes (`tele/<name>/...`). */
export const TASMOTA_ROOT = 'tele';

/** Tasmota's `%topic%` is one level: a strip's outlet becomes `<strip>_<outlet>`. */
function tasmotaTopic(device: DeviceInfo): string {
  return device.outlet === undefined ? device.name : `${device.name}_${device.outlet.name}`;
}

/** `2023-11-14T22:13:20Z` for a unix-second tick. */
export function tasmotaTime(timeS: number): string {
  return new Date(timeS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rounded(v: number | undefined, decimals: number): number | undefined {
  return v !== undefined && Number.isFinite(v) ? roundTo(v, decimals) : undefined;
}

/**
 * The messages of one reading: SENSOR (when it has energy values) then STATE (when it has a relay state).
 * @throws Error when the device name is not a valid topic level
 */
export function tasmotaReadingMessages(reading: Reading): MqttMessage[] {
  assertDeviceName(reading.device);
  const { values, device } = reading;
  const Time = tasmotaTime(reading.time);
  const out: MqttMessage[] = [];
  const energy: Record<string, number> = {};
  const total = rounded(values.energy_total ?? values.energy, PUBLISH_DECIMALS.energy);
  const parts: [string, number | undefined][] = [
    ['Total', total],
    ['Power', rounded(values.power, PUBLISH_DECIMALS.power)],
    ['Voltage', rounded(values.voltage, PUBLISH_DECIMALS.voltage)],
    ['Current', rounded(values.current, PUBLISH_DECIMALS.current)],
  ];
  for (const [key, v] of parts) if (v !== undefined) energy[key] = v;
  if (Object.keys(energy).length > 0) {
    const payload = JSON.stringify({ Time, ENERGY: energy });
    out.push({ topic: `${TASMOTA_ROOT}/${tasmotaTopic(device)}/SENSOR`, payload, retain: false });
  }
  if (values.state !== undefined) {
    const payload = JSON.stringify({ Time, POWER: values.state });
    out.push({ topic: `${TASMOTA_ROOT}/${tasmotaTopic(device)}/STATE`, payload, retain: false });
  }
  return out;
}

/**
 * The retained `tele/<name>/LWT` message.
 * @throws Error when the device name is not a valid topic level
 */
export function tasmotaLwtMessage(device: DeviceInfo, online: boolean): MqttMessage {
  assertDeviceName(device);
  return {
    topic: `${TASMOTA_ROOT}/${tasmotaTopic(device)}/LWT`,
    payload: online ? 'Online' : 'Offline',
    retain: true,
  };
}

/** The Tasmota {@link TopicLayout}; the prefix is not used (see the file comment). */
export const TASMOTA_LAYOUT: TopicLayout = {
  readings: (reading) => tasmotaReadingMessages(reading),
  availability: (device, _prefix, online) => tasmotaLwtMessage(device, online),
};
