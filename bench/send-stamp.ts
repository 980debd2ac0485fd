/**
 * Preloaded (`node --import`) into every poller the benchmark measures, collector and peer
 * alike: stamps each socket write, so the tick offset is measured where a request leaves the
 * poller for the kernel ("request sent vs tick"), without touching either poller's code. The
 * plugs' own arrival stamps (`sim-host.ts`) add the plug process's wake-up and read latency.
 *
 * Every 250 ms, appends `<ms since the epoch> <remote port>` lines to `KASA_BENCH_SENDS`; the
 * benchmark keeps the writes to plug ports (not the broker's). Writes to a corked socket are not
 * stamped: they do not leave for the kernel then, and no poller corks a plug's socket, while
 * MQTT.js writes every packet in pieces to a corked socket (6 writes per publish): stamping
 * those cost the collector ~10 µs per poll of measurement overhead the peer did not pay.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const file = process.env['KASA_BENCH_SENDS'];
if (file !== undefined && file !== '') {
  const write = net.Socket.prototype.write;
  let times: number[] = [];
  let ports: number[] = [];
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]): boolean {
    if (this.writableCorked === 0) {
      times.push(performance.timeOrigin + performance.now());
      ports.push(this.remotePort ?? 0);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  setInterval(() => {
    if (times.length === 0) return;
    const lines = times.map((t, i) => `${t.toFixed(3)} ${ports[i]}`).join('\n');
    times = [];
    ports = [];
    appendFileSync(file, `${lines}\n`);
  }, 250).unref();
}
