/**
 * Socket errors as stable plug error codes. Refused and unreachable are final for this tick; the
 * rest mean "the plug went away mid-exchange" (python-kasa `xortransport.py` draws the same line).
 */
import { PlugError, PlugErrorCode, UNREACHABLE_ERRNOS } from '../../errors.js';

/**
 * Maps a socket error to a stable code.
 * @param target `host:port`, for the message
 * @param err what `net.Socket` emitted
 */
export function classifySocketError(target: string, err: NodeJS.ErrnoException): PlugError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') {
    return new PlugError(
      PlugErrorCode.REFUSED,
      target,
      'connection refused: is the plug powered and is this its address? (Plugs on newer ' +
        'firmware closed port 9999 and speak KLAP or AES on port 80: see docs/devices.md)',
      err,
    );
  }
  if (UNREACHABLE_ERRNOS.has(code)) {
    return new PlugError(
      PlugErrorCode.UNREACHABLE,
      target,
      `unreachable (${code}): check the address and that the plug is on the network`,
      err,
    );
  }
  if (code === 'ETIMEDOUT') {
    return new PlugError(PlugErrorCode.TIMEOUT, target, 'connect timed out (ETIMEDOUT)', err);
  }
  return new PlugError(
    PlugErrorCode.CLOSED,
    target,
    `connection lost (${code || err.message})`,
    err,
  );
}
