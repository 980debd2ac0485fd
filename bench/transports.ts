/**
 * The transport bench: CPU per poll of the collector's side of an XOR, a KLAP and an AES poll on
 * kept-alive sessions, measured in this process with `process.cpuUsage()` (user + system) while
 * the plugs run in a child process (`transport-sims.ts`). Target: a KLAP or AES poll costs at
 * most 3× an XOR poll; a handshake happens once per session, not per poll (the handshake
 * counters are read before and after the measured polls).
 *
 *   npm run bench:transports -- [--plugs N] [--polls M]
 *
 * Each kind: N clients (the collector's own `KasaDevice` on `XorTransport`, `SmartDevice` on
 * `KlapTransport` / `AesTransport`), first contact and handshakes done in a warm-up, then M
 * polls round-robin, one at a time, three rounds; the median round is reported.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { KasaDevice } from '../src/kasa/device.js';
import type { DeviceClient } from '../src/kasa/sample.js';
import { SmartDevice } from '../src/kasa/smart-device.js';
import { AesTransport } from '../src/kasa/transport/aes.js';
import { KlapTransport } from '../src/kasa/transport/klap.js';
import { XorTransport } from '../src/kasa/transport/xor.js';

const { values } = parseArgs({
  options: { plugs: { type: 'string', default: '4' }, polls: { type: 'string', default: '3000' } },
});
const plugs = Number(values.plugs);
const polls = Number(values.polls);
const account = { username: 'bench@example.com', password: 'bench-password' };

const child = spawn(
  process.execPath,
  [new URL('./transport-sims.js', import.meta.url).pathname, String(plugs)],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const ports = await new Promise<Record<'xor' | 'klap' | 'aes', number[]>>((resolve, reject) => {
  let buf = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const nl = buf.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as Record<'xor' | 'klap' | 'aes', number[]>);
  });
  child.once('exit', (code) => reject(new Error(`plugs exited with ${String(code)}`)));
});

type Kind = 'xor' | 'klap' | 'aes';
const host = '127.0.0.1';
function clients(kind: Kind): { devices: DeviceClient[]; handshakes: () => number } {
  if (kind === 'xor') {
    return {
      devices: ports.xor.map((port) => new KasaDevice(new XorTransport({ host, port }))),
      handshakes: () => 0,
    };
  }
  const transports = ports[kind].map((port) =>
    kind === 'klap'
      ? new KlapTransport({ host, port }, { account })
      : new AesTransport({ host, port }, { account }),
  );
  return {
    devices: transports.map((t) => new SmartDevice(t)),
    handshakes: () => transports.reduce((sum, t) => sum + t.handshakes, 0),
  };
}

async function measure(
  kind: Kind,
): Promise<{ cpuUs: number; wallUs: number; handshakes: [number, number] }> {
  const { devices, handshakes } = clients(kind);
  for (let i = 0; i < 3; i++) for (const d of devices) await d.poll(5000);
  const before = handshakes();
  const rounds: { cpuUs: number; wallUs: number }[] = [];
  for (let r = 0; r < 3; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < polls; i++) await (devices[i % devices.length] as DeviceClient).poll(5000);
    const cpu = process.cpuUsage(cpu0);
    rounds.push({
      cpuUs: (cpu.user + cpu.system) / polls,
      wallUs: ((performance.now() - t0) * 1000) / polls,
    });
  }
  const after = handshakes();
  for (const d of devices) d.close();
  rounds.sort((a, b) => a.cpuUs - b.cpuUs);
  const mid = rounds[1] as { cpuUs: number; wallUs: number };
  return { ...mid, handshakes: [before, after] };
}

const results: Record<string, { cpuUs: number; wallUs: number; handshakes: [number, number] }> = {};
for (const kind of ['xor', 'klap', 'aes'] as const) {
  process.stderr.write(`bench: ${kind}, ${plugs} plugs, ${polls} polls × 3…\n`);
  results[kind] = await measure(kind);
}
child.stdin.end();
const xor = (results['xor'] as { cpuUs: number }).cpuUs;
const rows = Object.entries(results).map(([kind, r]) => ({
  kind,
  'cpu µs/poll': Number(r.cpuUs.toFixed(1)),
  'wall µs/poll': Number(r.wallUs.toFixed(1)),
  '× xor cpu': Number((r.cpuUs / xor).toFixed(2)),
  'handshakes before→after': `${r.handshakes[0]}→${r.handshakes[1]}`,
}));
console.table(rows);
const ok =
  rows.every((r) => r['× xor cpu'] <= 3) &&
  Object.values(results).every((r) => r.handshakes[0] === r.handshakes[1]);
console.log(`target (≤ 3× XOR CPU, no handshake while measuring): ${ok ? 'met' : 'NOT met'}`);
process.exit(0);
