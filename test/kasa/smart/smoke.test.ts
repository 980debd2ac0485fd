import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedSmartPlug } from '../../../src/sim/smart-plug.js';
import { SmartDevice } from '../../../src/kasa/smart-device.js';
import { KlapTransport } from '../../../src/kasa/transport/klap.js';
import { AesTransport } from '../../../src/kasa/transport/aes.js';
import { AutoDevice } from '../../../src/kasa/connect.js';

const account = { username: 'user@example.com', password: 'secret' };
const plugs: SimulatedSmartPlug[] = [];
afterEach(async () => { for (const p of plugs.splice(0)) await p.stop(); });

describe('smoke', () => {
  it('klap p110', async () => {
    const plug = new SimulatedSmartPlug({ profile: 'p110', alias: 'Kettle', account });
    plugs.push(plug);
    const port = await plug.start();
    const dev = new SmartDevice(new KlapTransport({ host: '127.0.0.1', port }, { account }));
    const s = await dev.poll(3000);
    console.log(JSON.stringify(s));
    const s2 = await dev.poll(3000);
    await dev.setRelay(false, 3000);
    const s3 = await dev.poll(3000);
    console.log(JSON.stringify(s2.values), JSON.stringify(s3.values));
    dev.close();
  });
  it('aes kp125m', async () => {
    const plug = new SimulatedSmartPlug({ profile: 'kp125m', alias: 'Heater', account });
    plugs.push(plug);
    const port = await plug.start();
    const dev = new SmartDevice(new AesTransport({ host: '127.0.0.1', port }, { account }));
    const s = await dev.poll(5000);
    console.log(JSON.stringify(s));
    dev.close();
  });
  it('strip p304m auto', async () => {
    const plug = new SimulatedSmartPlug({ profile: 'p304m', alias: 'Strip', account, host: '127.0.0.1', discoveryPort: 0 });
    plugs.push(plug);
    await plug.start();
    const dev = new AutoDevice({ host: '127.0.0.1', port: 1, account, discoveryPort: plug.discoveryPort });
    const s = await dev.poll(5000);
    console.log(JSON.stringify(s), dev.connection);
    await dev.setRelay(false, 3000, plug.outletIds()[1]);
    expect(plug.outletRelay(1)).toBe(false);
    dev.close();
  });
});
