/**
 * Finds how to reach a plug, so a `devices[]` entry needs no more than its address. In order:
 *
 * 1. The XOR transport on the configured port (9999): every plug before late-2020 firmware.
 * 2. When that connection is refused, discovery on UDP 20002 (`transport/tdp-lookup.ts`): the
 *    answer's `mgt_encrypt_schm` gives the transport (`encrypt_type` KLAP or AES), its HTTP port
 *    and the login version `lv`, and `device_type` the JSON it speaks (IOT or SMART), as
 *    python-kasa's `Discover` reads them. No answer: the refusal stands (`PLUG_REFUSED`).
 *
 * What worked is kept with the client for the life of the process; a refusal later on makes the
 * next poll look again (a firmware update can move a plug from 9999 to port 80). A forced
 * transport (`devices[].transport`) skips the search: `xor` on the configured port; `klap` and
 * `aes` on the configured port (80 by default), the KLAP generation (hence IOT or SMART) learned
 * from the handshake, AES always SMART.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { PlugError, PlugErrorCode, isPlugError } from '../errors.js';
import { KasaDevice } from './device.js';
import type { HttpDiscovery, TransportKind } from './discovery.js';
import { discoverHttp, httpTransport, loadHttpModules, type Connection } from './http-modules.js';
import type { DeviceClient, DeviceSample } from './sample.js';
import type { Credentials } from './transport/credentials.js';
import type { KlapTransport } from './transport/klap.js';
import { XorTransport } from './transport/xor.js';

/** How to build an {@link AutoDevice}. */
export interface AutoDeviceOptions {
  host: string;
  /** The configured port: XOR's (9999), or the forced HTTP transport's (80). */
  port: number;
  /** A forced transport (`devices[].transport`); absent: found as described above. */
  transport?: TransportKind;
  /** The TP-Link account for KLAP and AES plugs. */
  account?: Credentials;
  clock?: Clock;
  /** Told (info, once per search) which transport a plug was found to speak. */
  log?: Logger;
  /** Where discovery asks, default 20002 (tests use a free port). */
  discoveryPort?: number;
}

/** What {@link AutoDevice.poll} asks of the client in use. */
const pollWith = (client: DeviceClient, left: number): Promise<DeviceSample> => client.poll(left);

/** A plug whose transport is found on first contact. Not safe for concurrent calls. */
export class AutoDevice implements DeviceClient {
  #client: DeviceClient | undefined;
  #connection: Connection | undefined;
  /** A forced KLAP transport whose first handshake has not succeeded yet. */
  #klap: KlapTransport | undefined;
  readonly #clock: Clock;

  /** @param options address, forced transport, account, clock, logger */
  constructor(private readonly options: AutoDeviceOptions) {
    this.#clock = options.clock ?? systemClock;
  }

  /** `host:port` of the transport in use (the configured address before first contact). */
  get target(): string {
    return this.#client?.target ?? `${this.options.host}:${this.options.port}`;
  }

  /** The transport and protocol in use; undefined before the first successful contact. */
  get connection(): Connection | undefined {
    return this.#connection;
  }

  /**
   * Polls the plug, finding its transport first when needed.
   * @param timeoutMs deadline for everything, the search included
   * @throws PlugError with a stable code; PLUG_REFUSED when 9999 refuses and discovery on UDP
   *   20002 gets no answer
   */
  poll(timeoutMs: number): Promise<DeviceSample> {
    const client = this.#client;
    if (client === undefined) return this.#run(timeoutMs, pollWith);
    // The usual poll: the client is known; only a refusal needs more (see #recover).
    if (this.options.transport !== undefined) return client.poll(timeoutMs);
    const started = this.#clock.monotonic();
    return client
      .poll(timeoutMs)
      .catch((err: unknown) => this.#recover(err, started, timeoutMs, pollWith));
  }

  /**
   * Switches the relay through the client in use (found first if needed).
   * @throws PlugError with a stable code
   */
  async setRelay(on: boolean, timeoutMs: number, childId?: string): Promise<void> {
    await this.#run(timeoutMs, (client, left) => client.setRelay(on, left, childId));
  }

  /** Closes the client in use. Idempotent. */
  close(): void {
    this.#client?.close();
    this.#klap?.close();
  }

  async #run<T>(timeoutMs: number, use: (c: DeviceClient, left: number) => Promise<T>): Promise<T> {
    const started = this.#clock.monotonic();
    if (this.#client === undefined) await this.#build(this.#left(started, timeoutMs));
    try {
      return await use(this.#client as DeviceClient, this.#left(started, timeoutMs));
    } catch (err) {
      return this.#recover(err, started, timeoutMs, use);
    }
  }

  /**
   * After a failed call: a refusal on the found transport, when nothing is forced, makes
   * discovery look again (the plug may have moved to HTTP) and the call is made once more on
   * what it finds; any other failure is thrown as it came.
   */
  async #recover<T>(
    err: unknown,
    started: number,
    timeoutMs: number,
    use: (c: DeviceClient, left: number) => Promise<T>,
  ): Promise<T> {
    const auto = this.options.transport === undefined;
    if (!auto || !isPlugError(err) || err.code !== PlugErrorCode.REFUSED) throw err;
    this.#forget();
    if (this.#connection?.transport !== 'xor' && this.#connection !== undefined) throw err;
    const { host, discoveryPort } = this.options;
    const found = await discoverHttp(
      host,
      this.target,
      this.#left(started, timeoutMs),
      discoveryPort,
      err,
    );
    await this.#useHttp(found);
    return use(this.#client as DeviceClient, this.#left(started, timeoutMs));
  }

  /** Whole ms left of `timeoutMs` from `started`, at least 1; as given while nothing took 1 ms. */
  #left(started: number, timeoutMs: number): number {
    const spent = this.#clock.monotonic() - started;
    return spent < 1 ? timeoutMs : Math.max(1, Math.floor(timeoutMs - spent));
  }

  /** The first client: XOR unless another transport is forced. */
  async #build(timeoutMs: number): Promise<void> {
    const { host, port, transport, account } = this.options;
    const clock = this.#clock;
    const address = { host, port };
    if (transport === undefined || transport === 'xor') {
      this.#set(new KasaDevice(new XorTransport(address), clock), {
        transport: 'xor',
        protocol: 'iot',
        port,
      });
      return;
    }
    const { AesTransport, KlapTransport, SmartDevice } = await loadHttpModules();
    if (transport === 'aes') {
      const aes = new AesTransport(address, { ...(account ? { account } : {}), clock });
      this.#set(new SmartDevice(aes, clock), { transport: 'aes', protocol: 'smart', port });
      return;
    }
    // Kept until its handshake succeeds: a rejected account's back-off lives in the transport.
    this.#klap ??= new KlapTransport(address, { ...(account ? { account } : {}), clock });
    const klap = this.#klap;
    const version = await klap.handshake(timeoutMs);
    this.#klap = undefined;
    const connection: Connection = {
      transport: 'klap',
      protocol: version === 1 ? 'iot' : 'smart',
      port,
    };
    this.#set(
      version === 1 ? new KasaDevice(klap, clock) : new SmartDevice(klap, clock),
      connection,
    );
  }

  async #useHttp(found: HttpDiscovery): Promise<void> {
    const { host, account } = this.options;
    const clock = this.#clock;
    if (found.https) {
      throw new PlugError(
        PlugErrorCode.DEVICE_ERROR,
        `${host}:${found.httpPort}`,
        `the plug (${found.model ?? found.deviceType}) wants ${found.transport.toUpperCase()} over HTTPS, which is not supported`,
      );
    }
    const built = await httpTransport(found, host, account, clock);
    const { SmartDevice } = await loadHttpModules();
    // AES always carries SMART; KLAP carries the protocol discovery named.
    const iot = built.kind === 'klap' && found.protocol === 'iot';
    this.#set(
      iot ? new KasaDevice(built.transport, clock) : new SmartDevice(built.transport, clock),
      built.connection,
    );
    this.options.log?.info(
      {
        host,
        model: found.model,
        transport: found.transport,
        protocol: found.protocol,
        port: found.httpPort,
      },
      `plug found on ${found.transport.toUpperCase()} (port ${found.httpPort}, ${found.protocol.toUpperCase()} protocol)`,
    );
  }

  #set(client: DeviceClient, connection: Connection): void {
    this.#client = client;
    this.#connection = connection;
  }

  #forget(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}
