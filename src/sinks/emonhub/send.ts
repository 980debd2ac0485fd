/**
 * One frame to emonhub's socket interfacer over one fresh TCP connection, in ONE write.
 *
 * emonhub does a single `recv(1024)` per connection and closes without answering
 * (emonhub `EmonHubSocketInterfacer.read`), so a second write on the same connection
 * is lost and there is no acknowledgement to wait for: the best this wire offers is "the kernel
 * took the whole frame on an established connection". A listener whose socket thread died
 * still completes the TCP handshake from the kernel's backlog; nothing tells the sender.
 */
import net from 'node:net';

/**
 * Sends one frame over a fresh TCP connection in ONE write, then half-closes.
 * @param host emonhub host
 * @param port the socket interfacer's `port_nb`
 * @param frame a frame from `buildFrame()`
 * @param timeoutMs deadline for connect + write, ms
 * @param signal aborts the attempt (used by `stop()`)
 * @returns resolves once the kernel accepted the whole frame on an established connection
 * @throws the socket error (`ECONNREFUSED`, `ECONNRESET`, ...), or an `ETIMEDOUT` Error
 */
export function sendFrame(
  host: string,
  port: number,
  frame: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const fail = (err: Error): void => {
      socket.destroy();
      if (settled) return;
      settled = true;
      reject(err);
    };
    const onAbort = (): void => fail(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('close', () => signal?.removeEventListener('abort', onAbort));
    // An error after success (a reset as emonhub closes) changes nothing: the frame is out.
    socket.on('error', fail);
    socket.setTimeout(timeoutMs, () =>
      fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => {
      socket.end(frame, () => {
        if (settled) return;
        settled = true;
        resolve();
      });
    });
  });
}
