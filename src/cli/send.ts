/**
 * `kasa-collector send HOST[:PORT] COMMAND`: the classic client of softScheck/tplink-smartplug (`tplink_smartplug.py
 * -t HOST -c CMD | -j JSON`) on our transports: one exchange, the reply decrypted and
 * pretty-printed. A newer plug is found as the collector finds it (`src/kasa/open-transport.ts`); a
 * SMART one gets each named command as its SMART method (`SMART_COMMANDS`), and `--json` takes a
 * SMART request (`{"method": …, "params": …}`) there.
 */
import { parseHostPort } from './host-port.js';
import { systemClock } from '../clock.js';
import { ConfigError, PlugError, PlugErrorCode, isPlugError } from '../errors.js';
import { openTransport } from '../kasa/open-transport.js';
import type { TransportKind } from '../kasa/discovery.js';
import { isObject, parseJsonObject, type Json } from '../kasa/protocol/json.js';
import { smartRequest, terminalUuid, type SmartCall } from '../kasa/protocol/smart.js';
import { smartErrorName } from '../kasa/protocol/smart-errors.js';
import type { Credentials } from '../kasa/transport/credentials.js';

/** One named command: the request exactly as the classic client sends it, and what it does. */
export interface PlugCommand {
  /** The JSON request, byte for byte as in the classic client's `commands` table. */
  readonly request: string;
  /** The classic client's description. */
  readonly description: string;
  /** What a destructive command would do; such a command needs `--yes`. */
  readonly danger?: string;
}

/**
 * The classic client's commands (the `commands` table of softScheck's `tplink_smartplug.py`;
 * descriptions from its README), plus `energy`, which the client added later for the HS110
 * (`emeter.get_realtime`).
 */
export const COMMANDS = {
  info: { request: '{"system":{"get_sysinfo":{}}}', description: 'Returns device info' },
  on: { request: '{"system":{"set_relay_state":{"state":1}}}', description: 'Turns on the plug' },
  off: { request: '{"system":{"set_relay_state":{"state":0}}}', description: 'Turns off the plug' },
  cloudinfo: {
    request: '{"cnCloud":{"get_info":{}}}',
    description: 'Returns cloud connectivity info',
  },
  wlanscan: {
    request: '{"netif":{"get_scaninfo":{"refresh":0}}}',
    description: 'Scan for nearby access points',
  },
  time: { request: '{"time":{"get_time":{}}}', description: 'Returns the system time' },
  schedule: {
    request: '{"schedule":{"get_rules":{}}}',
    description: 'Lists configured schedule rules',
  },
  countdown: {
    request: '{"count_down":{"get_rules":{}}}',
    description: 'Lists configured countdown rules',
  },
  antitheft: {
    request: '{"anti_theft":{"get_rules":{}}}',
    description: 'Lists configured antitheft rules',
  },
  reboot: {
    request: '{"system":{"reboot":{"delay":1}}}',
    description: 'Reboot the device',
    danger:
      'reboot the plug in 1 s: it is unreachable for some 20 s and its relay may switch off meanwhile',
  },
  reset: {
    request: '{"system":{"reset":{"delay":1}}}',
    description: 'Reset the device to factory settings',
    danger:
      'factory-reset the plug in 1 s: it forgets its WiFi, alias, schedules and cloud binding ' +
      'and comes back as an unconfigured access point, off your network',
  },
  energy: {
    request: '{"emeter":{"get_realtime":{}}}',
    description: 'Return realtime voltage/current/power',
  },
} as const satisfies Record<string, PlugCommand>;

/** A name in {@link COMMANDS}. */
export type CommandName = keyof typeof COMMANDS;

/**
 * The same names for a SMART plug: the SMART method that does the same (python-kasa's modules:
 * `get_device_info`, `set_device_info`, `get_device_time`, the rule lists, `device_reboot`,
 * `device_reset`, `get_energy_usage`).
 */
export const SMART_COMMANDS: Readonly<Record<CommandName, SmartCall>> = {
  info: { method: 'get_device_info' },
  on: { method: 'set_device_info', params: { device_on: true } },
  off: { method: 'set_device_info', params: { device_on: false } },
  cloudinfo: { method: 'get_connect_cloud_state' },
  wlanscan: { method: 'get_wireless_scan_info' },
  time: { method: 'get_device_time' },
  schedule: { method: 'get_schedule_rules' },
  countdown: { method: 'get_countdown_rules' },
  antitheft: { method: 'get_antitheft_rules' },
  reboot: { method: 'device_reboot' },
  reset: { method: 'device_reset' },
  energy: { method: 'get_energy_usage' },
};

/** SMART methods that need `--yes`, with what they would do. */
const SMART_DANGER: Record<string, string> = {
  device_reboot: COMMANDS.reboot.danger,
  device_reset: COMMANDS.reset.danger,
};

/** What to send: a named command or raw JSON (`--json`). */
export type SendRequest = { command: string } | { json: string };

/** Raw requests that reach `system.reboot` or `system.reset` need `--yes` just as the names do. */
function rawDanger(request: Json): string | undefined {
  const system = request['system'];
  if (!isObject(system)) return undefined;
  if ('reset' in system) return COMMANDS.reset.danger;
  if ('reboot' in system) return COMMANDS.reboot.danger;
  return undefined;
}

/**
 * Turns a named command or raw JSON into the request text and its danger, if any.
 * @throws ConfigError on an unknown command name, or raw JSON that is not a JSON object
 */
export function resolveRequest(req: SendRequest): { text: string; danger?: string } {
  if ('command' in req) {
    if (!Object.hasOwn(COMMANDS, req.command)) {
      throw new ConfigError(
        `unknown command "${req.command}"; one of: ${Object.keys(COMMANDS).join(', ')}, ` +
          `or --json '<raw JSON>'`,
      );
    }
    const c: PlugCommand = COMMANDS[req.command as CommandName];
    return { text: c.request, ...(c.danger === undefined ? {} : { danger: c.danger }) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.json);
  } catch (e) {
    throw new ConfigError(`--json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed))
    throw new ConfigError('--json must be a JSON object, e.g. {"time":{"get_time":{}}}');
  const danger = rawDanger(parsed);
  return { text: req.json, ...(danger === undefined ? {} : { danger }) };
}

/** The first non-zero `err_code` at module or method level (docs/protocol.md), as a message. */
function deviceError(reply: Json): string | undefined {
  for (const [module, mod] of Object.entries(reply)) {
    if (!isObject(mod)) continue;
    const levels: [string, Json][] = [[module, mod]];
    for (const [m, v] of Object.entries(mod)) if (isObject(v)) levels.push([`${module}.${m}`, v]);
    for (const [where, obj] of levels) {
      const code = obj['err_code'];
      if (code === undefined || code === 0) continue;
      const msg = typeof obj['err_msg'] === 'string' ? ` "${obj['err_msg']}"` : '';
      return `${where} answered err_code ${JSON.stringify(code)}${msg}`;
    }
  }
  return undefined;
}

/** How `send` reaches the plug beyond its address. */
export interface SendOptions {
  /** Confirms `reboot` / `reset`. */
  yes?: boolean;
  /** Deadline of the exchange (the search for a newer plug's transport included), s. */
  timeoutS: number;
  /** Forces the transport (`--transport`). */
  transport?: TransportKind;
  /** The TP-Link account for a KLAP or AES plug. */
  account?: Credentials;
  /** UDP port of discovery for newer plugs (tests); default 20002. */
  discoveryPort?: number;
}

/** The SMART request a named command or raw JSON stands for, and its danger. */
function smartCallOf(req: SendRequest): { call: SmartCall; danger?: string } {
  if ('command' in req) {
    resolveRequest(req);
    const call = SMART_COMMANDS[req.command as CommandName];
    const danger = SMART_DANGER[call.method];
    return danger === undefined ? { call } : { call, danger };
  }
  const parsed: unknown = JSON.parse(req.json);
  if (!isObject(parsed) || typeof parsed['method'] !== 'string') {
    throw new ConfigError(
      'this plug speaks the SMART protocol: --json takes {"method": "get_device_info", "params": {...}}',
    );
  }
  const call: SmartCall = { method: parsed['method'] };
  if (isObject(parsed['params'])) call.params = parsed['params'];
  const danger = SMART_DANGER[call.method];
  return danger === undefined ? { call } : { call, danger };
}

/**
 * Sends one request and prints the decrypted reply, pretty-printed.
 *
 * @param target `HOST`, `HOST:PORT` or `[IPv6]:PORT`
 * @param req a name from {@link COMMANDS} or raw JSON
 * @param opts `yes` confirms `reboot`/`reset`; deadline; forced transport; account
 * @param out the reply JSON (stdout)
 * @param err failures as `CODE: message` (stderr)
 * @returns 0 on success; 1 with a PlugError code (PLUG_TIMEOUT, PLUG_REFUSED, PLUG_AUTH …,
 *   PLUG_BAD_JSON, or PLUG_DEVICE_ERROR after printing a reply that holds `err_code != 0` /
 *   `error_code != 0`); 2 when a destructive command lacks `--yes` (nothing is sent)
 * @throws ConfigError on a malformed address, unknown command or invalid raw JSON
 */
export async function sendCommand(
  target: string,
  req: SendRequest,
  opts: SendOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const address = parseHostPort(
    target,
    opts.transport === 'klap' || opts.transport === 'aes' ? 80 : 9999,
  );
  const where = `${address.host}:${address.port}`;
  const iot = resolveRequest(req);
  if (iot.danger !== undefined && !opts.yes) {
    err.write(`refusing without --yes: sending ${iot.text} to ${where} would ${iot.danger}\n`);
    return 2;
  }
  const timeoutMs = opts.timeoutS * 1000;
  const started = systemClock.monotonic();
  let opened: Awaited<ReturnType<typeof openTransport>> | undefined;
  try {
    opened = await openTransport(
      {
        ...address,
        ...(opts.transport === undefined ? {} : { transport: opts.transport }),
        ...(opts.account === undefined ? {} : { account: opts.account }),
        ...(opts.discoveryPort === undefined ? {} : { discoveryPort: opts.discoveryPort }),
      },
      timeoutMs,
    );
    let text = iot.text;
    if (opened.connection.protocol === 'smart') {
      const smart = smartCallOf(req);
      if (smart.danger !== undefined && !opts.yes) {
        err.write(
          `refusing without --yes: sending ${smart.call.method} to ${where} would ${smart.danger}\n`,
        );
        return 2;
      }
      text = smartRequest(smart.call, systemClock.now(), terminalUuid());
    }
    const left = Math.max(1, Math.floor(timeoutMs - (systemClock.monotonic() - started)));
    const body = await opened.transport.request(text, { timeoutMs: left });
    const reply = parseJsonObject(body, where);
    out.write(`${JSON.stringify(reply, null, 2)}\n`);
    const problem =
      opened.connection.protocol === 'smart'
        ? reply['error_code'] === 0
          ? undefined
          : `answered error_code ${smartErrorName(reply['error_code'])}`
        : deviceError(reply);
    if (problem !== undefined) throw new PlugError(PlugErrorCode.DEVICE_ERROR, where, problem);
    return 0;
  } catch (e) {
    if (!isPlugError(e)) throw e;
    err.write(`${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    opened?.transport.close();
  }
}
