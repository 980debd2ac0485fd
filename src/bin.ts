#!/usr/bin/env node
// The `kasa-collector` executable: runs the CLI and turns its outcome into an exit code.
import { main } from './cli/cli.js';
import { ConfigError } from './errors.js';
import { ExitCode } from './service/signals.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (
      err instanceof ConfigError ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`kasa-collector: ${(err as Error).message}\n`);
      process.exitCode = ExitCode.CONFIG;
    } else {
      process.stderr.write(
        `kasa-collector: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = ExitCode.FAILURE;
    }
  },
);
