import {
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  existsSync,
  fsyncSync,
  openSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';

/** What happened when a state file was read. */
export type ReadOutcome<T> =
  | { status: 'missing' }
  | { status: 'ok'; value: T }
  /** The file was unreadable or corrupt and has been renamed to `setAside`. */
  | { status: 'corrupt'; setAside: string; reason: string };

/**
 * One JSON document in the state directory, written atomically (write to `<file>.tmp`, fsync,
 * rename over `<file>`), so a power cut leaves either the old or the new version, never half a
 * file. A file that cannot be parsed or fails `validate` is renamed to
 * `<file>.corrupt-<unix ms>` and reported, never a crash: the collector starts fresh for that
 * file and the user still has the bytes to inspect.
 *
 * Synchronous on purpose: state files are small (KiB to a few MiB), written at most once per
 * tick and on shutdown, and a synchronous write cannot interleave with another one.
 */
export class JsonFile<T> {
  readonly file: string;

  /**
   * @param dir the state directory (created on first write)
   * @param name file name inside it, e.g. `energy.json`
   * @param validate returns the typed value or throws an Error saying what is wrong
   */
  constructor(
    readonly dir: string,
    name: string,
    private readonly validate: (raw: unknown) => T,
  ) {
    this.file = path.join(dir, name);
  }

  /**
   * Reads and validates the file.
   * @param now ms since the epoch (the injected clock's `now()`), used to name a set-aside file
   * @returns missing, ok with the value, or corrupt with where the file was moved
   * @throws only when a corrupt file cannot even be renamed (the directory is not writable)
   */
  read(now: number): ReadOutcome<T> {
    if (!existsSync(this.file)) return { status: 'missing' };
    let reason: string;
    try {
      return { status: 'ok', value: this.validate(JSON.parse(readFileSync(this.file, 'utf8'))) };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    const setAside = `${this.file}.corrupt-${now}`;
    renameSync(this.file, setAside);
    return { status: 'corrupt', setAside, reason };
  }

  /**
   * Replaces the file's content atomically.
   * @param value any JSON-serializable value
   * @throws the fs error (ENOSPC, EACCES, EROFS …) with the file named in its message
   */
  write(value: T): void {
    const tmp = `${this.file}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify(value));
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      e.message = `cannot write state file ${this.file}: ${e.message}; check that state.dir is writable`;
      throw e;
    }
  }
}
