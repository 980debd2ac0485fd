import { Readable, Writable } from 'node:stream';
import type { ToolIo } from '../../src/cli/tool-argv.js';

/** A writable stream that keeps what is written, so tests never touch process.stdout. */
export function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Streams for `runTool`: captured stdout and stderr, and a stdin holding `input`. */
export function toolIo(input = ''): ToolIo & { stdout: () => string; stderr: () => string } {
  const out = sink();
  const err = sink();
  return {
    out: out.stream,
    err: err.stream,
    stdin: Readable.from([input]),
    stdout: out.text,
    stderr: err.text,
  };
}
