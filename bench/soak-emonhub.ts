/**
 * The soak's emonhub (`soak.ts`): the fake socket interfacer modelled on emonhub's loop
 * (`test/fakes/emonhub.ts`: one connection and one frame per 0.1 s pass), in a process of its
 * own. Reports `{type:'ready', port}` over IPC, and `{type:'counts', …}` when asked.
 */
import { FakeEmonhub } from '../test/fakes/emonhub.js';

const fake = new FakeEmonhub(true);
await fake.start();
process.on('message', (m: { type: string }) => {
  if (m.type !== 'counts') return;
  process.send?.({
    type: 'counts',
    connections: fake.connections,
    frames: fake.frames.length,
    buffered: fake.buffered,
    violations: fake.violations.length,
  });
  // What was counted is no longer needed: the fake keeps no growing state of its own.
  fake.frames.splice(0);
  fake.received.splice(0);
});
process.on('disconnect', () => void fake.stop().then(() => process.exit(0)));
process.send?.({ type: 'ready', port: fake.port });
