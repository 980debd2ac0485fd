import net from 'node:net';

/**
 * A loopback TCP port nothing listens on: connecting to it is refused at once, as a newer plug
 * refuses port 9999. (Bound and released; another process could take it meanwhile, which a test
 * would see as a failure, never as a pass.)
 */
export async function refusedPort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
