/**
 * The plugs of the transport bench (`transports.ts`), in a process of their own so that their
 * CPU is not counted as the collector's: N simulated IOT plugs on the XOR transport (KP115), N
 * Tapo P110 on KLAP and N KP125M on AES, all on loopback. Prints `{"xor":[ports],"klap":[…],
 * "aes":[…]}` on one line, then runs until its parent closes stdin.
 */
import { SimulatedPlug } from '../src/sim/plug.js';
import { SimulatedSmartPlug } from '../src/sim/smart-plug.js';

const n = Number(process.argv[2] ?? '4');
const account = { username: 'bench@example.com', password: 'bench-password' };

const xor = await Promise.all(
  Array.from({ length: n }, async (_, i) => {
    const p = new SimulatedPlug({ profile: 'kp115', alias: `Xor ${i}` });
    return p.start();
  }),
);
const smart = async (profile: 'p110' | 'kp125m'): Promise<number[]> =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      new SimulatedSmartPlug({ profile, alias: `${profile} ${i}`, account }).start(),
    ),
  );
const klap = await smart('p110');
const aes = await smart('kp125m');
process.stdout.write(`${JSON.stringify({ xor, klap, aes })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
