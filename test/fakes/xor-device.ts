import type { Clock } from '../../src/clock.js';
import { KasaDevice } from '../../src/kasa/device.js';
import type { PlugAddress } from '../../src/kasa/transport/transport.js';
import { XorTransport } from '../../src/kasa/transport/xor.js';

/**
 * A device client on the XOR transport, as the collector builds one for an IOT plug.
 * @param address the (simulated) plug
 * @param clock deadline clock; default the real one
 */
export function xorDevice(address: PlugAddress, clock?: Clock): KasaDevice {
  return new KasaDevice(new XorTransport(address), clock);
}
