/**
 * argv → `discover`, `send` or `decode`. These tools have flags of their own that clash with the
 * service's (`discover --config` is a switch where `run --config FILE` takes a file; `--json` is a
 * switch for `discover` but takes the raw request for `send`), so each is parsed with its own
 * option set here and `cli.ts` hands over argv when its first word is one of them. No domain
 * logic lives here.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { ACCOUNT_OPTIONS, accountFromFlags } from './account-flags.js';
import { decodeCommand } from './decode.js';
import { discoverCommand } from './discover.js';
import { COMMANDS, sendCommand } from './send.js';
import { TOOL_COMMANDS } from './tool-names.js';

export { TOOL_COMMANDS };

/** The usage lines of the three tools, for the CLI's `--help`. */
export const TOOL_USAGE = `  kasa-collector discover [--timeout S] [--target ADDR]... [--port N] [--json | --config]
                          [--verbose]
                             find plugs by UDP broadcast (default target 255.255.255.255:9999,
                             and :20002 for newer KLAP/AES plugs); print a table, a JSON array,
                             or a devices array for the config file
  kasa-collector send HOST[:PORT] COMMAND [--yes] [--timeout S] [--transport xor|klap|aes]
                          [--username EMAIL] [--password-file FILE]
  kasa-collector send HOST[:PORT] --json '<raw JSON>' [--yes] [--timeout S] [...]
                             send one command, print the reply; COMMAND is one of
                             ${Object.keys(COMMANDS).slice(0, 6).join(', ')},
                             ${Object.keys(COMMANDS).slice(6).join(', ')}
                             (reboot and reset need --yes)
  kasa-collector decode HEX|BASE64|- [--udp]
                             decrypt a captured payload (- reads it from stdin)`;

/** Streams a tool writes to and reads from. */
export interface ToolIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || !Number.isFinite(v))
    throw new ConfigError(`${flag} "${text}" must be a number of seconds > 0`);
  return v;
}

function udpPort(text: string | undefined): number {
  if (text === undefined) return 9999;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1 || v > 65535)
    throw new ConfigError(`--port "${text}" must be an integer from 1 to 65535`);
  return v;
}

function discover(args: string[], io: ToolIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      timeout: { type: 'string' },
      target: { type: 'string', multiple: true },
      port: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  });
  if (positionals.length > 0)
    throw new ConfigError(`discover takes no arguments, got "${positionals.join(' ')}"`);
  if (values.json && values.config) throw new ConfigError('discover: --json or --config, not both');
  for (const t of values.target ?? [])
    if (!net.isIP(t)) throw new ConfigError(`--target "${t}" must be an IP address`);
  return discoverCommand(
    {
      ...(values.target === undefined ? {} : { targets: values.target }),
      port: udpPort(values.port),
      timeoutS: seconds('--timeout', values.timeout, 3),
      format: values.json ? 'json' : values.config ? 'config' : 'table',
      ...(values.verbose ? { debug: io.err } : {}),
    },
    io.out,
    io.err,
  );
}

function send(args: string[], io: ToolIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      yes: { type: 'boolean' },
      json: { type: 'string' },
      timeout: { type: 'string' },
      ...ACCOUNT_OPTIONS,
    },
  });
  const [host, command, ...extra] = positionals;
  if (host === undefined || extra.length > 0)
    throw new ConfigError('usage: send HOST[:PORT] COMMAND, or send HOST[:PORT] --json <raw JSON>');
  if ((command === undefined) === (values.json === undefined))
    throw new ConfigError('send: give either a COMMAND or --json <raw JSON>, exactly one');
  return sendCommand(
    host,
    command === undefined ? { json: values.json as string } : { command },
    {
      yes: values.yes === true,
      timeoutS: seconds('--timeout', values.timeout, 5),
      ...accountFromFlags(values, process.env),
    },
    io.out,
    io.err,
  );
}

function decode(args: string[], io: ToolIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { udp: { type: 'boolean' } },
  });
  if (positionals.length !== 1)
    throw new ConfigError('usage: decode HEX|BASE64 [--udp], or decode - to read it from stdin');
  return decodeCommand(positionals[0] as string, { udp: values.udp }, io.out, io.err, io.stdin);
}

/**
 * Runs `discover`, `send` or `decode`.
 * @param argv the command word then its arguments, e.g. `['send', '10.0.0.5', 'on']`
 * @param io the process's streams (tests pass their own)
 * @returns the command's exit code (0 ok, 1 runtime failure, 2 refused without `--yes`)
 * @throws ConfigError (or a `parseArgs` error, code `ERR_PARSE_ARGS_*`) on bad usage: exit 2
 */
export async function runTool(argv: readonly string[], io: ToolIo): Promise<number> {
  const [command, ...args] = argv;
  if (args.includes('--help') || args.includes('-h')) {
    io.out.write(`Usage:\n${TOOL_USAGE}\n`);
    return 0;
  }
  if (command === 'discover') return discover(args, io);
  if (command === 'send') return send(args, io);
  if (command === 'decode') return decode(args, io);
  throw new ConfigError(`not a tool command: "${command ?? ''}"`);
}
