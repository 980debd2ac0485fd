/**
 * The newer plugs' side of finding a plug, loaded on first need: the KLAP and AES transports, the
 * SMART protocol and discovery on UDP 20002 (`transport/tdp-lookup.ts`). They bring node-forge
 * (RSA, AES) and its ~40 modules, which a fleet on XOR never uses, so nothing here imports them
 * but {@link loadHttpModules}.
 *
 * Discovery's answer gives the transport (`mgt_encrypt_schm.encrypt_type` KLAP or AES), its HTTP
 * port and the login version `lv`, and `device_type` the JSON it speaks (IOT or SMART), as
 * python-kasa's `Discover` reads them (`discovery.ts`).
 */
import type { Clock } from '../clock.js';
import { PlugError, PlugErrorCode } from '../errors.js';
import { parseHttpDiscovery, type HttpDiscovery, type TransportKind } from './discovery.js';
import type { SmartDevice } from './smart-device.js';
import type { AesTransport } from './transport/aes.js';
import type { Credentials } from './transport/credentials.js';
import type { KlapTransport } from './transport/klap.js';
import type { lookupTdp } from './transport/tdp-lookup.js';
import { TDP_PORT } from './transport/tdp.js';

/** What a client was built on, for messages and `poll` output. */
export interface Connection {
  transport: TransportKind;
  protocol: 'iot' | 'smart';
  port: number;
}

/** What a plug on KLAP or AES needs, and what finds one (discovery on UDP 20002). */
export interface HttpModules {
  AesTransport: typeof AesTransport;
  KlapTransport: typeof KlapTransport;
  SmartDevice: typeof SmartDevice;
  lookupTdp: typeof lookupTdp;
}

let httpModules: Promise<HttpModules> | undefined;

/**
 * Loads the HTTP transports, the SMART protocol and discovery on first need, once per process.
 * @returns the modules' exports
 */
export function loadHttpModules(): Promise<HttpModules> {
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

/**
 * Asks the plug on UDP 20002 which HTTP transport it speaks, after its TCP port refused.
 * @param host the plug's address
 * @param target `host:port` refused, for the error
 * @param timeoutMs how long to wait for the answer
 * @param discoveryPort where to ask; default 20002
 * @param cause the refusal, kept as the error's cause
 * @returns the answer
 * @throws PlugError PLUG_REFUSED when no answer came or it was not understood
 */
export async function discoverHttp(
  host: string,
  target: string,
  timeoutMs: number,
  discoveryPort?: number,
  cause?: unknown,
): Promise<HttpDiscovery> {
  const { lookupTdp } = await loadHttpModules();
  const body = await lookupTdp(host, timeoutMs, discoveryPort);
  let found: HttpDiscovery | undefined;
  try {
    found = body === undefined ? undefined : parseHttpDiscovery(body, host);
  } catch {
    found = undefined;
  }
  if (found !== undefined) return found;
  throw new PlugError(
    PlugErrorCode.REFUSED,
    target,
    `connection refused, and no answer to discovery on UDP ${discoveryPort ?? TDP_PORT}: is the plug powered and is this its address?`,
    cause,
  );
}

/** A transport built from a discovery answer, with what it carries. */
export type FoundTransport =
  | { kind: 'aes'; transport: AesTransport; connection: Connection }
  | { kind: 'klap'; transport: KlapTransport; connection: Connection };

/**
 * Builds the transport a discovery answer names (its HTTP port; AES with its login version `lv`
 * when given, KLAP of the generation its IOT or SMART protocol implies). Opens nothing.
 * @param found discovery's answer
 * @param host the plug's address
 * @param account the TP-Link account, if configured
 * @param clock session expiry and back-off
 */
export async function httpTransport(
  found: HttpDiscovery,
  host: string,
  account: Credentials | undefined,
  clock: Clock,
): Promise<FoundTransport> {
  const { AesTransport, KlapTransport } = await loadHttpModules();
  const address = { host, port: found.httpPort };
  const acc = account ? { account } : {};
  const connection: Connection = {
    transport: found.transport,
    protocol: found.protocol,
    port: found.httpPort,
  };
  if (found.transport === 'aes') {
    const lv = found.loginVersion === undefined ? {} : { loginVersion: found.loginVersion };
    const transport = new AesTransport(address, { ...acc, ...lv, clock });
    return { kind: 'aes', transport, connection };
  }
  const version = found.protocol === 'iot' ? 1 : 2;
  const transport = new KlapTransport(address, { ...acc, version, clock });
  return { kind: 'klap', transport, connection };
}
