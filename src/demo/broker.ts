import net from 'node:net';
import { Aedes } from 'aedes';

/** A running in-process MQTT broker. */
export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Closes the listener and the broker; safe to call twice. */
  stop(): Promise<void>;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * Starts an aedes MQTT broker on loopback, on `preferredPort` when free, else on any free port,
 * so the demo works on a machine with no broker (and beside one that already holds 1883).
 * @param preferredPort default 1883
 * @returns the broker's URL and port
 * @throws Error when no port can be bound at all
 */
export async function startEmbeddedBroker(preferredPort = 1883): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  let port: number;
  try {
    port = await listen(server, preferredPort);
  } catch {
    port = await listen(server, 0);
  }
  let stopped = false;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
