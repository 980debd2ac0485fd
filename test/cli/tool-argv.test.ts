import { describe, expect, it } from 'vitest';
import { TOOL_USAGE, runTool } from '../../src/cli/tool-argv.js';
import { main } from '../../src/cli/cli.js';
import { ConfigError } from '../../src/errors.js';
import { toolIo } from './helpers.js';

describe('tool argv', () => {
  it('--help after a tool prints the tools usage', async () => {
    const io = toolIo();
    expect(await runTool(['send', '--help'], io)).toBe(0);
    expect(io.stdout()).toBe(`Usage:\n${TOOL_USAGE}\n`);
    for (const line of ['discover [--timeout S]', 'send HOST[:PORT] COMMAND', 'decode HEX|BASE64'])
      expect(TOOL_USAGE).toContain(`kasa-collector ${line}`);
    expect(TOOL_USAGE).toContain('on, off, cloudinfo');
  });

  it('discover usage errors are ConfigErrors (exit 2), and nothing is sent', async () => {
    const bad: [string[], RegExp][] = [
      [['--json', '--config'], /--json or --config, not both/],
      [['--target', 'plug.local'], /must be an IP address/],
      [['--target', '127.0.0.1', '--port', '0'], /--port "0"/],
      [['--target', '127.0.0.1', '--timeout', 'soon'], /--timeout "soon"/],
      [['--target', '127.0.0.1', 'extra'], /takes no arguments/],
    ];
    for (const [args, message] of bad) {
      await expect(runTool(['discover', ...args], toolIo())).rejects.toThrow(message);
      await expect(runTool(['discover', ...args], toolIo())).rejects.toThrow(ConfigError);
    }
    await expect(runTool(['discover', '--bogus'], toolIo())).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
  });

  it('the CLI hands the tools their argv, flags the service parser would reject included', async () => {
    // `--config` without a value and `--json` with one are the tools' own flags.
    await expect(main(['discover', '--config', '--json'])).rejects.toThrow(/not both/);
    await expect(main(['send', '127.0.0.1:1', '--json', '[]'])).rejects.toThrow(
      /must be a JSON object/,
    );
    await expect(main(['decode', '%%%'])).rejects.toThrow(/neither hex nor base64/);
  });
});
