/**
 * `node:fs` for state files (`StateFs`) with the failures a state directory has in the field,
 * switchable mid-run. Tests run as root here, where `chmod` stops no write, so the failures are
 * injected: each mode fails exactly the calls the kernel would fail.
 * - `ok`: plain `node:fs`;
 * - `read-only-dir`: the directory cannot be written (no file created, renamed or deleted in
 *   it: EACCES) while its existing files can be (a directory `chmod 555` for a non-root user);
 * - `full`: ENOSPC on anything that needs space: a new file is created empty, then the write
 *   fails (what leaves zero-byte `*.tmp` files behind); overwriting bytes of an existing file in
 *   place still works, as on ext4;
 * - `read-only-fs`: every write fails with EROFS (an SD card the kernel remounted read-only).
 */
import * as fs from 'node:fs';
import type { StateFs } from '../../src/storage/json-file.js';

export type FsMode = 'ok' | 'read-only-dir' | 'full' | 'read-only-fs';

function fail(code: string, call: string, target: unknown): never {
  const err = new Error(`${code}: injected failure, ${call} '${String(target)}'`);
  throw Object.assign(err, { code, syscall: call });
}

/** A {@link StateFs} whose failures follow {@link FailingFs.mode}; it counts the failed calls. */
export class FailingFs implements StateFs {
  mode: FsMode = 'ok';
  failures = 0;

  #deny(call: string, target: unknown, kinds: readonly FsMode[]): void {
    const code = { 'read-only-dir': 'EACCES', full: 'ENOSPC', 'read-only-fs': 'EROFS' };
    if (this.mode === 'ok' || !kinds.includes(this.mode)) return;
    this.failures++;
    fail(code[this.mode], call, target);
  }

  closeSync = fs.closeSync;
  existsSync = fs.existsSync;
  fsyncSync = fs.fsyncSync;
  readFileSync = fs.readFileSync;
  readSync = fs.readSync;
  readdirSync = fs.readdirSync;

  mkdirSync: StateFs['mkdirSync'] = ((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
    if (!fs.existsSync(p)) this.#deny('mkdir', p, ['read-only-dir', 'full', 'read-only-fs']);
    return fs.mkdirSync(p, o);
  }) as StateFs['mkdirSync'];

  openSync: StateFs['openSync'] = (p, flags, mode) => {
    const writing = flags !== undefined && flags !== 'r';
    if (writing) this.#deny('open', p, ['read-only-fs']);
    return fs.openSync(p, flags, mode);
  };

  writeFileSync: StateFs['writeFileSync'] = (p, data, o) => {
    this.#deny('open', p, ['read-only-dir', 'read-only-fs']);
    if (this.mode === 'full') {
      fs.writeFileSync(p, '');
      this.#deny('write', p, ['full']);
    }
    fs.writeFileSync(p, data, o);
  };

  writeSync = ((fd: number, ...rest: unknown[]) => {
    this.#deny('write', fd, ['read-only-fs']);
    return (fs.writeSync as (fd: number, ...a: unknown[]) => number)(fd, ...rest);
  }) as StateFs['writeSync'];

  renameSync: StateFs['renameSync'] = (a, b) => {
    this.#deny('rename', b, ['read-only-dir', 'read-only-fs']);
    fs.renameSync(a, b);
  };

  unlinkSync: StateFs['unlinkSync'] = (p) => {
    this.#deny('unlink', p, ['read-only-dir', 'read-only-fs']);
    fs.unlinkSync(p);
  };
}
