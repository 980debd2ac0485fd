/**
 * The transport contract: what moves one request's bytes to a device and its reply back. A
 * transport frames and encrypts; it never reads the JSON it carries (that is a protocol's job,
 * `../protocol/`). The collector keeps one transport per device and reuses it across polls.
 *
 * The same cut as python-kasa's `kasa/transports/basetransport.py` (`send`, `close`): the XOR
 * transport on TCP 9999 (`xor.ts`) implements it today; KLAP and AES over HTTP plug in behind the
 * same two methods without the collector changing.
 *
 * Failure policy: a transport classifies (every rejection is a `PlugError` with a stable code:
 * refused and unreachable are final for this poll, the rest retryable); it never retries on its
 * own beyond what its protocol requires, and never decides what a failure means for the device.
 */

/** Where a device listens. */
export interface PlugAddress {
  /** IPv4/IPv6 address or host name. */
  host: string;
  /** TCP port: 9999 for the XOR transport. */
  port: number;
}

/** Limits for one request. */
export interface RequestOptions {
  /** Overall deadline for (re)connect + write + whole reply, ms. */
  timeoutMs: number;
  /** Deadline for a TCP connect alone, ms; defaults to `timeoutMs`. */
  connectTimeoutMs?: number;
  /** Reply body cap, bytes; defaults to the transport's own cap (64 KiB for XOR). */
  maxReplyBytes?: number;
}

/** One device's byte pipe. Not safe for concurrent requests: callers send one at a time. */
export interface Transport {
  /** `host:port`, for messages. */
  readonly target: string;
  /** What it speaks, shown with the device's identity (`xor`, …); optional for test doubles. */
  readonly kind?: string;
  /**
   * Sends one request and resolves with the device's reply.
   * @param json the request, JSON text (e.g. `{"system":{"get_sysinfo":{}}}`)
   * @param opts deadline and reply cap
   * @returns the reply plaintext: UTF-8 bytes of JSON, not yet parsed
   * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT, PLUG_CLOSED, PLUG_BAD_LENGTH
   */
  request(json: string, opts: RequestOptions): Promise<Buffer>;
  /** Releases the connection; a request in flight fails with PLUG_CLOSED. Safe to call twice. */
  close(): void;
}
