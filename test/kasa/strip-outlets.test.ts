import { afterEach, describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import { KasaDevice } from '../../src/kasa/device.js';
import { SmartDevice } from '../../src/kasa/smart-device.js';
import { outletLimit } from '../../src/kasa/strip-models.js';
import type { Transport } from '../../src/kasa/transport/transport.js';
import { XorTransport } from '../../src/kasa/transport/xor.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { PROFILES } from '../../src/sim/profiles.js';
import { answerSmart } from '../../src/sim/smart-answer.js';
import { fixtureView, loadFixture, smartFixturesAvailable } from '../fakes/smart-fixture.js';

/**
 * A strip is read with one request per outlet, so the number of outlets it claims is bounded
 * by what real strips have (`strip-models.ts`): a reply claiming more is refused, naming the
 * strip, before any outlet is asked.
 */

type Json = Record<string, unknown>;

async function failure(p: Promise<unknown>): Promise<PlugError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PlugError) return err;
    throw err;
  }
  throw new Error('resolved');
}

describe('outletLimit', () => {
  it.each([
    ['HS300(US)', 6],
    ['KP303(UK)', 3],
    ['KP400(US)', 2],
    ['HS107(US)', 2],
    ['P304M', 4],
    ['P316M', 6],
    ['EP40M', 2],
    ['XY999(EU)', 16],
    [undefined, 16],
  ])('%s: %i outlets', (model, max) => {
    expect(outletLimit(model).max).toBe(max);
  });
});

describe('an IOT strip that claims 800 children', () => {
  let plug: SimulatedPlug | undefined;
  afterEach(async () => {
    await plug?.stop();
  });

  it('is refused after its sysinfo: no outlet is asked, and the error names the strip', async () => {
    // Short ids and no aliases, so that the sysinfo stays under the 64 KiB reply cap.
    const ids = Array.from({ length: 800 }, (_, i) => `C${i}`);
    plug = new SimulatedPlug({
      profile: { ...PROFILES.hs300, outlets: 800, childIds: () => ids },
      alias: 'Big strip',
      outlets: ids.map(() => ({ alias: '' })),
    });
    await plug.start();
    const device = new KasaDevice(new XorTransport({ host: plug.host, port: plug.port }));
    const err = await failure(device.poll(2000));
    device.close();
    expect(err.code).toBe(PlugErrorCode.BAD_REPLY);
    expect(err.message).toContain('HS300(US)');
    expect(err.message).toContain('800 outlets');
    expect(err.message).toContain('6');
    expect(plug.requests).toBe(1); // sysinfo only, not 800 emeter requests
  });

  it('a real HS300 (6 outlets) still reads', async () => {
    plug = new SimulatedPlug({ profile: 'hs300', alias: 'Office strip' });
    await plug.start();
    const device = new KasaDevice(new XorTransport({ host: plug.host, port: plug.port }));
    const sample = await device.poll(2000);
    device.close();
    expect(sample.outlets).toHaveLength(6);
  });
});

/** A transport that answers from a SMART view in memory, counting requests. */
class ViewTransport implements Transport {
  readonly target = '192.0.2.20:80';
  requests = 0;
  constructor(private readonly view: ReturnType<typeof fixtureView>) {}
  async request(json: string): Promise<Buffer> {
    this.requests++;
    return Buffer.from(JSON.stringify(answerSmart(JSON.parse(json) as unknown, this.view)));
  }
  close(): void {}
}

if (!smartFixturesAvailable) console.warn('skipping the SMART strip cap: ../shared is missing');

describe.skipIf(!smartFixturesAvailable)('a SMART strip (P316M) that claims 1200 children', () => {
  it('is refused before its outlets are asked, naming the strip', async () => {
    const fixture = loadFixture('P316M(US)_1.6_1.0.5.json');
    const ids = Array.from({ length: 1200 }, (_, i) => `CHILD${i}`);
    const list = fixture['get_child_device_list'] as Json;
    const first = (list['child_device_list'] as Json[])[0] as Json;
    list['child_device_list'] = ids.map((id, i) => ({ ...first, device_id: id, position: i + 1 }));
    list['sum'] = 1200;
    // Each claimed child metered, and answering through control_child.
    const components = fixture['get_child_device_component_list'] as Json;
    const comp = (components['child_component_list'] as Json[])[0] as Json;
    components['child_component_list'] = ids.map((id) => ({ ...comp, device_id: id }));
    const children = fixture['child_devices'] as Json;
    const child = Object.values(children)[0];
    fixture['child_devices'] = Object.fromEntries(ids.map((id) => [id, child]));
    const transport = new ViewTransport(fixtureView(fixture));
    const device = new SmartDevice(transport);
    const err = await failure(device.poll(2000));
    expect(err.code).toBe(PlugErrorCode.BAD_REPLY);
    expect(err.message).toContain('P316M');
    expect(err.message).toContain('1200 outlets');
    // component_nego + get_device_info, the child component list, the strip's own request.
    expect(transport.requests).toBe(3);
  });
});
