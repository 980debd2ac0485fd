/**
 * `kasa-collector send HOST[:PORT] COMMAND`: the classic client of softScheck/tplink-smartplug
 * (`tplink_smartplug.py -t HOST -c CMD | -j JSON`) on our transport: one framed TCP exchange, the
 * reply decrypted and pretty-printed.
 */
import { parseHostPort } from './host-port.js';
import { ConfigError, PlugError, PlugErrorCode, isPlugError } from '../errors.js';
import { encodeFrame } from '../kasa/transport/xor-cipher.js';
import { exchangeOnce } from '../kasa/transport/xor.js';

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

/** What to send: a named command or raw JSON (`--json`). */
export type SendRequest = { command: string } | { json: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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

/**
 * Sends one request and prints the decrypted reply, pretty-printed.
 *
 * @param target `HOST`, `HOST:PORT` or `[IPv6]:PORT`
 * @param req a name from {@link COMMANDS} or raw JSON
 * @param opts `yes`: confirms `reboot`/`reset`; `timeoutS`: deadline of the exchange, s
 * @param out the reply JSON (stdout)
 * @param err failures as `CODE: message` (stderr)
 * @returns 0 on success; 1 with a PlugError code (PLUG_TIMEOUT, PLUG_REFUSED …, PLUG_BAD_JSON,
 *   or PLUG_DEVICE_ERROR after printing a reply that holds `err_code != 0`); 2 when a destructive
 *   command lacks `--yes` (nothing is sent)
 * @throws ConfigError on a malformed address, unknown command or invalid raw JSON
 */
export async function sendCommand(
  target: string,
  req: SendRequest,
  opts: { yes?: boolean; timeoutS: number },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const address = parseHostPort(target);
  const where = `${address.host}:${address.port}`;
  const { text, danger } = resolveRequest(req);
  if (danger !== undefined && !opts.yes) {
    err.write(`refusing without --yes: sending ${text} to ${where} would ${danger}\n`);
    return 2;
  }
  try {
    const body = await exchangeOnce(address, encodeFrame(text), {
      timeoutMs: opts.timeoutS * 1000,
    });
    let reply: unknown;
    try {
      reply = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new PlugError(
        PlugErrorCode.BAD_JSON,
        where,
        `reply is not JSON (${(e as Error).message})`,
        e,
      );
    }
    if (!isObject(reply))
      throw new PlugError(PlugErrorCode.BAD_JSON, where, 'reply is JSON but not an object');
    out.write(`${JSON.stringify(reply, null, 2)}\n`);
    const problem = deviceError(reply);
    if (problem !== undefined) throw new PlugError(PlugErrorCode.DEVICE_ERROR, where, problem);
    return 0;
  } catch (e) {
    if (!isPlugError(e)) throw e;
    err.write(`${e.code}: ${e.message}\n`);
    return 1;
  }
}
