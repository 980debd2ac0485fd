/**
 * Frames to emonhub's socket interfacer over one fresh TCP connection, in ONE write.
 *
 * emonhub does a single `recv(1024)` per connection and closes without answering
 * (emonhub `EmonHubSocketInterfacer.read`), so a second write on the same connection
 * is lost and there is no acknowledgement to wait for: the best this wire offers is "the kernel
 * took the whole write on an established connection". The write may hold several whole
 * `\r\n`-terminated frames, under 1024 bytes in all: emonhub keeps them in its buffer and takes
 * one per pass. A listener whose socket thread died
 * still completes the TCP handshake from the kernel's backlog; nothing tells the sender.
 */
import net from 'node:net';
import { SinkError, SinkErrorCode } from '../../errors.js';
import { socketErrorCode } from '../socket-error.js';

/**
 * A failed send as a {@link SinkError}: refused, unreachable, timed out, or lost; all retryable
 * (emonhub restarting, the network coming back).
 */
function classify(target: string, err: NodeJS.ErrnoException): SinkError {
  const code = socketErrorCode(err.code) ?? SinkErrorCode.CLOSED;
  const detail = err.code ?? err.message;
  const what =
    code === SinkErrorCode.REFUSED
      ? 'connection refused: is emonhub running, with a socket interfacer on this port?'
      : code === SinkErrorCode.UNREACHABLE
        ? 'unreachable: check emonhub.host'
        : code === SinkErrorCode.TIMEOUT
          ? 'connect timed out'
          : 'connection lost';
  return new SinkError(code, target, `${what} (${detail})`, err);
}

/**
 * Sends one or more whole frames over a fresh TCP connection in ONE write, then half-closes.
 * @param host emonhub host
 * @param port the socket interfacer's `port_nb`
 * @param frame frames from `buildFrame()`, joined; under 1024 bytes
 * @param timeoutMs deadline for connect + write, ms
 * @param signal aborts the attempt (used by `stop()`)
 * @returns resolves once the kernel accepted the whole frame on an established connection
 * @throws SinkError `SINK_REFUSED`, `SINK_UNREACHABLE`, `SINK_TIMEOUT` (no connect within
 *   `timeoutMs`) or `SINK_CLOSED` (reset, or aborted by `signal`); the socket error is its `cause`
 */
export function sendFrame(
  host: string,
  port: number,
  frame: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const target = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const fail = (err: SinkError): void => {
      socket.destroy();
      if (settled) return;
      settled = true;
      reject(err);
    };
    const onAbort = (): void =>
      fail(new SinkError(SinkErrorCode.CLOSED, target, 'aborted: the sink is stopping'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('close', () => signal?.removeEventListener('abort', onAbort));
    // An error after success (a reset as emonhub closes) changes nothing: the frame is out.
    socket.on('error', (err: NodeJS.ErrnoException) => fail(classify(target, err)));
    socket.setTimeout(timeoutMs, () =>
      fail(new SinkError(SinkErrorCode.TIMEOUT, target, `no answer within ${timeoutMs} ms`)),
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
