/**
 * The peer poller: tplink-smarthome-api (the strongest Node library for the protocol) in its
 * cheapest correct form for this job. One `Plug` object per plug (created at start-up from its
 * sysinfo, as `client.getDevice()` does), then per plug per harmonized tick ONE `sendCommand`
 * with the same batched sysinfo + emeter request the collector sends, the library's own
 * `err_code` checks (`processResponse`) and its own emeter normalization (`Emeter#setRealtime`,
 * `src/shared/emeter.ts`), plus relay state and RSSI read from sysinfo. Nothing is published.
 * The library opens one TCP connection per request; that is how it works.
 *
 * Run by `bench.ts` with one JSON argument ({@link PeerOptions}); reports like the collector's
 * preload (`report.ts`).
 */
import tplink from 'tplink-smarthome-api';
import { startBenchReport } from './report.js';
import { systemClock } from '../src/clock.js';
import { HarmonizedSchedule } from '../src/collector/schedule.js';
import { tickPattern } from '../src/config/tick-pattern.js';

/** What the parent passes. */
export interface PeerOptions {
  ports: number[];
  intervalS: number;
  timeoutMs: number;
  report: string;
}

type LibPlug = ReturnType<InstanceType<typeof tplink.Client>['getPlug']>;
type Sysinfo = Parameters<InstanceType<typeof tplink.Client>['getPlug']>[0]['sysInfo'];

/** The same batched request as the collector's `BATCH_REQUEST`, as an object (no parse per call). */
const BATCH = { system: { get_sysinfo: {} }, emeter: { get_realtime: {} } };

/** Stands in for the sysinfo of a plug that did not answer at start-up (a hung one). */
const UNKNOWN_SYSINFO = {
  alias: 'unknown',
  deviceId: '',
  model: 'HS110(EU)',
  sw_ver: '',
  hw_ver: '',
  type: 'IOT.SMARTPLUGSWITCH',
  mac: '',
  feature: 'TIM:ENE',
  relay_state: 0,
  rssi: 0,
} as unknown as Sysinfo;

interface Values {
  power: number;
  energy: number;
  voltage: number;
  current: number;
  state: 'ON' | 'OFF';
  rssi: number;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as PeerOptions;
  const client = new tplink.Client({
    logLevel: 'silent',
    defaultSendOptions: { timeout: opts.timeoutMs, transport: 'tcp' },
  });
  const plugs: LibPlug[] = await Promise.all(
    opts.ports.map(async (port) => {
      const sysInfo = await client.getSysInfo('127.0.0.1', port).catch(() => UNKNOWN_SYSINFO);
      return client.getPlug({ host: '127.0.0.1', port, sysInfo });
    }),
  );
  const counts = { pollsOk: 0, pollsFailed: 0 };
  let last: Values | undefined;
  const pollOne = async (plug: LibPlug): Promise<void> => {
    try {
      const reply = (await plug.sendCommand(BATCH)) as {
        system: { get_sysinfo: { relay_state: number; rssi: number } };
        emeter: { get_realtime: Parameters<LibPlug['emeter']['setRealtime']>[0] };
      };
      plug.emeter.setRealtime(reply.emeter.get_realtime);
      const rt = plug.emeter.realtime;
      const sys = reply.system.get_sysinfo;
      last = {
        power: rt.power as number,
        energy: rt.total as number,
        voltage: rt.voltage as number,
        current: rt.current as number,
        state: sys.relay_state === 1 ? 'ON' : 'OFF',
        rssi: sys.rssi,
      };
      counts.pollsOk++;
    } catch {
      counts.pollsFailed++;
    }
  };
  const schedule = new HarmonizedSchedule(
    tickPattern({ interval: opts.intervalS }),
    systemClock,
    () => {
      for (const plug of plugs) void pollOne(plug);
    },
  );
  schedule.start();
  startBenchReport(opts.report, opts.intervalS, () => counts);
  process.on('SIGTERM', () => {
    schedule.stop();
    process.stderr.write(`peer: last reading ${JSON.stringify(last)}\n`);
    process.exit(0);
  });
}

void main();
