import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ACCOUNT_OPTIONS, accountFromFlags } from './account-flags.js';
import { TOOL_COMMANDS } from './tool-names.js';
import { loadConfig } from '../config/load.js';
import { checkInterval } from '../config/tick-pattern.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { systemClock } from '../clock.js';
import { ExitCode } from '../service/signals.js';

// Each command loads its own code when it runs (dynamic `import()`): `run` never loads the
// tools, the one-plug poll, the address checks of `check-config` or the demo.

/** The usage text; the tools' lines come from their module, loaded for this. */
async function usage(): Promise<string> {
  const { TOOL_USAGE } = await import('./tool-argv.js');
  return `kasa-collector: poll TP-Link Kasa energy plugs on harmonized intervals and publish
normalized readings to MQTT and emonhub.

Usage:
  kasa-collector run [--config FILE]            run the service
  kasa-collector poll HOST[:PORT] [--timeout S] [--transport xor|klap|aes]
                  [--username EMAIL] [--password-file FILE]
                                                read one plug once, print JSON
  kasa-collector check-config [--config FILE]   validate (host names resolved), print the
                                                effective config
  kasa-collector demo [--interval S]            simulated plugs + embedded broker
${TOOL_USAGE}
  kasa-collector --help | --version

The config file may also be given by KASA_COLLECTOR_CONFIG. Exit codes: 0 ok,
1 runtime failure, 2 bad configuration or usage.`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function configFile(flag: string | undefined): string | undefined {
  return flag ?? process.env['KASA_COLLECTOR_CONFIG'] ?? undefined;
}

/**
 * Parses argv and runs one command. No domain logic lives here.
 * @param argv arguments after the executable, e.g. `['run', '--config', 'x.json']`
 * @returns the exit code
 */
export async function main(argv: string[]): Promise<number> {
  // The tools parse their own flags: theirs clash with the service's (see tool-argv.ts).
  if (argv[0] !== undefined && TOOL_COMMANDS.includes(argv[0])) {
    const { runTool } = await import('./tool-argv.js');
    return runTool(argv, { out: process.stdout, err: process.stderr, stdin: process.stdin });
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      timeout: { type: 'string' },
      interval: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      ...ACCOUNT_OPTIONS,
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return ExitCode.OK;
  }
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return command === undefined && !values.help ? ExitCode.CONFIG : ExitCode.OK;
  }
  switch (command) {
    case 'run': {
      const file = configFile(values.config);
      const config = loadConfig({ file, env: process.env });
      const log = createLogger({ level: config.log.level, pretty: process.stdout.isTTY === true });
      const { runService } = await import('../main.js');
      return runService(config, log, () => loadConfig({ file, env: process.env }));
    }
    case 'check-config': {
      const file = configFile(values.config);
      const config = loadConfig({ file, env: process.env });
      // Beyond the file: the devices' host names, resolved now (same-address.ts).
      const source = file ?? 'defaults';
      const { checkSameAddress } = await import('../config/same-address.js');
      const { problems, notes } = await checkSameAddress(config.devices);
      for (const note of notes) process.stderr.write(`${source}: note: ${note}\n`);
      if (problems.length > 0) {
        const lines = problems.map((p) => `${source}: devices${p.path ?? ''}: ${p.message}`);
        throw new ConfigError(lines.join('\n'));
      }
      const { redactConfig } = await import('../config/redact.js');
      process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
      const { configWarnings } = await import('../main.js');
      for (const warning of configWarnings(config, systemClock.now())) {
        process.stderr.write(`warning: ${warning}\n`);
      }
      process.stderr.write(`${source}: configuration is valid\n`);
      return ExitCode.OK;
    }
    case 'poll': {
      if (rest.length !== 1) throw new ConfigError('poll takes exactly one HOST[:PORT]');
      const timeout = values.timeout === undefined ? 2 : Number(values.timeout);
      if (!(timeout > 0))
        throw new ConfigError(`--timeout "${values.timeout}" must be a number of seconds > 0`);
      const { pollCommand } = await import('./poll.js');
      return pollCommand(
        rest[0] as string,
        timeout,
        process.stdout,
        process.stderr,
        undefined,
        accountFromFlags(values, process.env),
      );
    }
    case 'demo': {
      const interval = values.interval === undefined ? 2 : Number(values.interval);
      const problem = checkInterval(interval)[0];
      if (problem !== undefined) {
        throw new ConfigError(`--interval "${values.interval}" ${problem.message}`);
      }
      // Loaded only here: the demo brings an embedded broker that `run` never needs.
      const { runDemo } = await import('../demo/demo.js');
      return runDemo({ interval });
    }
    default:
      throw new ConfigError(`unknown command "${command}"; see kasa-collector --help`);
  }
}
