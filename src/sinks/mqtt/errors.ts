/**
 * What went wrong on the MQTT connection, as a stable sink code: MQTT.js hands the sink socket
 * errors (`ECONNREFUSED`, …), Node TLS errors (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, …), refused
 * CONNACKs (the return or reason code as a number in `code`) and a few errors known only by
 * their message. The sink logs the code and dedupes its log lines with it; the outbox decides
 * from it whether a failed publish is sent again.
 */
import { SinkErrorCode } from '../../errors.js';
import { socketErrorCode } from '../socket-error.js';

/** Node's codes for a broker certificate no trusted CA vouches for. */
export const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * CONNACK codes for refused credentials: MQTT 3.1.1 return codes 4 (bad user name or password)
 * and 5 (not authorized), MQTT 5 reason codes 134 and 135 (the same). MQTT.js puts them in
 * `code` (OASIS MQTT 3.1.1 §3.2.2.3, MQTT 5.0 §3.2.2.2).
 */
export const REFUSED_AUTH = new Set([4, 5, 134, 135]);

/**
 * Refused credentials, or a client the broker will not let in: also MQTT 5 reason codes 138
 * (banned) and 140 (bad authentication method).
 */
const AUTH = new Set([...REFUSED_AUTH, 138, 140]);

/**
 * CONNACK codes for a broker that is there but will not take a connection now: 3.1.1 return
 * code 3 (server unavailable); MQTT 5 reason codes 136 (server unavailable), 137 (server busy),
 * 151 (quota exceeded) and 159 (connection rate exceeded). They pass without a change here.
 */
const BUSY = new Set([3, 136, 137, 151, 159]);

/** Node TLS errors: a certificate problem, or a handshake that failed. */
function isTlsCode(code: string): boolean {
  return UNTRUSTED.has(code) || code.includes('CERT') || /^(ERR_SSL_|ERR_TLS_|EPROTO$)/.test(code);
}

/**
 * The sink code of an error MQTT.js emitted on the connection.
 * @param err what the client's `error` event carried (or what closed the connection)
 * @returns `SINK_AUTH` and `SINK_PROTOCOL` for refused CONNACKs (by code), `SINK_REFUSED` for a
 *   busy broker, `SINK_TLS` for certificate and handshake failures, `SINK_TIMEOUT` for a
 *   CONNACK or keepalive that never came, the socket codes of {@link socketErrorCode}, and
 *   `SINK_CLOSED` for anything else that ended the connection
 */
export function mqttErrorCode(err: Error & { code?: unknown }): SinkErrorCode {
  const { code } = err;
  if (typeof code === 'number') {
    if (AUTH.has(code)) return SinkErrorCode.AUTH;
    return BUSY.has(code) ? SinkErrorCode.REFUSED : SinkErrorCode.PROTOCOL;
  }
  const socket = socketErrorCode(code);
  if (socket !== undefined) return socket;
  if ((typeof code === 'string' && isTlsCode(code)) || err.message === 'TLS not authorized') {
    return SinkErrorCode.TLS;
  }
  if (err.message === 'Username is required to use password') return SinkErrorCode.AUTH;
  if (/^(connack|keepalive) timeout$/i.test(err.message)) return SinkErrorCode.TIMEOUT;
  return SinkErrorCode.CLOSED;
}

/**
 * The sink code of a publish MQTT.js completed with an error: a reason code (a number in
 * `code`: the broker refused this one message, MQTT 5 PUBACK/PUBREC) is `SINK_REJECTED`; any
 * other error means the connection is going or gone (`Connection closed`, `client
 * disconnecting`), `SINK_CLOSED`.
 * @param err the error MQTT.js passed to the publish callback
 */
export function publishErrorCode(err: Error & { code?: unknown }): SinkErrorCode {
  return typeof err.code === 'number' ? SinkErrorCode.REJECTED : SinkErrorCode.CLOSED;
}
