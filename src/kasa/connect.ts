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
import net from 'node:net';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { PlugError, PlugErrorCode, isPlugError } from '../errors.js';
import { KasaDevice } from './device.js';
import { parseHttpDiscovery, type HttpDiscovery, type TransportKind } from './discovery.js';
import type { DeviceClient, DeviceSample } from './sample.js';
import type { Credentials } from './transport/credentials.js';
import type { SmartDevice } from './smart-device.js';
import type { AesTransport } from './transport/aes.js';
import type { KlapTransport } from './transport/klap.js';
import type { lookupTdp } from './transport/tdp-lookup.js';
import { TDP_PORT } from './transport/tdp.js';
import type { PlugAddress, Transport } from './transport/transport.js';
import { XorTransport } from './transport/xor.js';

/** What a plug on KLAP or AES needs, and what finds one (discovery on UDP 20002). */
interface HttpModules {
  AesTransport: typeof AesTransport;
  KlapTransport: typeof KlapTransport;
  SmartDevice: typeof SmartDevice;
  lookupTdp: typeof lookupTdp;
}

let httpModules: Promise<HttpModules> | undefined;

/**
 * Loads the HTTP transports, the SMART protocol and discovery on first need, once per process:
 * they bring node-forge (RSA, AES) and its ~40 modules, which a fleet on XOR never uses.
 * @returns the modules' exports
 */
function loadHttpModules(): Promise<HttpModules> {
  httpModules ??= Promise.all([
    import('./transport/aes.js'),
    import('./transport/klap.js'),
    import('./smart-device.js'),
    import('./transport/tdp-lookup.js'),
  ]).then(([aes, klap, smart, tdp]) => ({
    AesTransport: aes.AesTransport,
    KlapTransport: klap.KlapTransport,
    SmartDevice: smart.SmartDevice,
    lookupTdp: tdp.lookupTdp,
  }));
  return httpModules;
}

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

/** What a client was built on, for messages and `poll` output. */
export interface Connection {
  transport: TransportKind;
  protocol: 'iot' | 'smart';
  port: number;
}

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
  async poll(timeoutMs: number): Promise<DeviceSample> {
    return this.#run(timeoutMs, (client, left) => client.poll(left));
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
    // Whole ms, and the deadline as given while nothing has taken time yet (messages quote it).
    const left = (): number => {
      const spent = this.#clock.monotonic() - started;
      return spent < 1 ? timeoutMs : Math.max(1, Math.floor(timeoutMs - spent));
    };
    const auto = this.options.transport === undefined;
    if (this.#client === undefined) await this.#build(left());
    try {
      return await use(this.#client as DeviceClient, left());
    } catch (err) {
      if (!auto || !isPlugError(err) || err.code !== PlugErrorCode.REFUSED) throw err;
      this.#forget();
      if (this.#connection?.transport !== 'xor' && this.#connection !== undefined) throw err;
      const found = await this.#discover(left());
      if (found === undefined) {
        throw new PlugError(
          PlugErrorCode.REFUSED,
          this.target,
          `connection refused, and no answer to discovery on UDP ${this.options.discoveryPort ?? TDP_PORT}: is the plug powered and is this its address?`,
          err,
        );
      }
      await this.#useHttp(found);
      return use(this.#client as DeviceClient, left());
    }
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

  async #discover(timeoutMs: number): Promise<HttpDiscovery | undefined> {
    const { lookupTdp } = await loadHttpModules();
    const body = await lookupTdp(this.options.host, timeoutMs, this.options.discoveryPort);
    if (body === undefined) return undefined;
    try {
      return parseHttpDiscovery(body, this.options.host);
    } catch {
      return undefined;
    }
  }

  async #useHttp(found: HttpDiscovery): Promise<void> {
    const { AesTransport, KlapTransport, SmartDevice } = await loadHttpModules();
    const { host, account } = this.options;
    const clock = this.#clock;
    if (found.https) {
      throw new PlugError(
        PlugErrorCode.DEVICE_ERROR,
        `${host}:${found.httpPort}`,
        `the plug (${found.model ?? found.deviceType}) wants ${found.transport.toUpperCase()} over HTTPS, which is not supported`,
      );
    }
    const address = { host, port: found.httpPort };
    const acc = account ? { account } : {};
    const connection: Connection = {
      transport: found.transport,
      protocol: found.protocol,
      port: found.httpPort,
    };
    if (found.transport === 'aes') {
      const lv = found.loginVersion === undefined ? {} : { loginVersion: found.loginVersion };
      this.#set(
        new SmartDevice(new AesTransport(address, { ...acc, ...lv, clock }), clock),
        connection,
      );
    } else {
      const klap = new KlapTransport(address, {
        ...acc,
        version: found.protocol === 'iot' ? 1 : 2,
        clock,
      });
      this.#set(
        found.protocol === 'iot' ? new KasaDevice(klap, clock) : new SmartDevice(klap, clock),
        connection,
      );
    }
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

/** A transport for one-shot tools (`send`), with the protocol it carries. */
export interface OpenedTransport {
  transport: Transport;
  connection: Connection;
}

/** True when a TCP connection to `address` is accepted within `timeoutMs`. */
function tcpAccepts(address: PlugAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Opens the transport a plug needs, found as {@link AutoDevice} finds it (a TCP connect to the
 * configured port standing in for the first XOR request), for tools that send raw requests.
 * @param options address, forced transport, account
 * @param timeoutMs deadline of the search (and of KLAP's handshake when forced)
 * @throws PlugError PLUG_REFUSED when nothing answers, or as the transports do
 */
export async function openTransport(
  options: AutoDeviceOptions,
  timeoutMs: number,
): Promise<OpenedTransport> {
  const { host, port, account } = options;
  const clock = options.clock ?? systemClock;
  const acc = account ? { account } : {};
  const address = { host, port };
  const forced = options.transport;
  if (forced === 'xor' || (forced === undefined && (await tcpAccepts(address, timeoutMs)))) {
    return {
      transport: new XorTransport(address),
      connection: { transport: 'xor', protocol: 'iot', port },
    };
  }
  const { AesTransport, KlapTransport, lookupTdp } = await loadHttpModules();
  if (forced === 'aes') {
    return {
      transport: new AesTransport(address, { ...acc, clock }),
      connection: { transport: 'aes', protocol: 'smart', port },
    };
  }
  if (forced === 'klap') {
    const klap = new KlapTransport(address, { ...acc, clock });
    const version = await klap.handshake(timeoutMs);
    return {
      transport: klap,
      connection: { transport: 'klap', protocol: version === 1 ? 'iot' : 'smart', port },
    };
  }
  const body = await lookupTdp(host, timeoutMs, options.discoveryPort);
  let found: HttpDiscovery | undefined;
  try {
    found = body === undefined ? undefined : parseHttpDiscovery(body, host);
  } catch {
    found = undefined;
  }
  if (found === undefined) {
    throw new PlugError(
      PlugErrorCode.REFUSED,
      `${host}:${port}`,
      `connection refused, and no answer to discovery on UDP ${options.discoveryPort ?? TDP_PORT}: is the plug powered and is this its address?`,
    );
  }
  const httpAddress = { host, port: found.httpPort };
  const connection: Connection = {
    transport: found.transport,
    protocol: found.protocol,
    port: found.httpPort,
  };
  if (found.transport === 'aes') {
    const lv = found.loginVersion === undefined ? {} : { loginVersion: found.loginVersion };
    return { transport: new AesTransport(httpAddress, { ...acc, ...lv, clock }), connection };
  }
  const version = found.protocol === 'iot' ? 1 : 2;
  return { transport: new KlapTransport(httpAddress, { ...acc, version, clock }), connection };
}
