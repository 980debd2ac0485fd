import * as nodeFs from 'node:fs';
import path from 'node:path';

/**
 * The synchronous `node:fs` calls a state file makes: injectable, so tests can make a write
 * fail the way a full disk or a read-only file system does (as root, `chmod` stops nothing).
 */
export type StateFs = Pick<
  typeof nodeFs,
  | 'closeSync'
  | 'existsSync'
  | 'fsyncSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readFileSync'
  | 'readSync'
  | 'readdirSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'writeFileSync'
  | 'writeSync'
>;

/** What happened when a state file was read. */
export type ReadOutcome<T> =
  | { status: 'missing' }
  | { status: 'ok'; value: T }
  /** The file was unreadable or corrupt and has been renamed to `setAside`. */
  | { status: 'corrupt'; setAside: string; reason: string };

/** How a {@link JsonFile} reaches the disk and writes its value. */
export interface JsonFileOptions<W> {
  /** Default `node:fs`. */
  fs?: StateFs | undefined;
  /** The file's text for a value; default `JSON.stringify`. */
  serialize?: (value: W) => string;
}

/** Set-aside copies of one file kept at most; older ones are deleted when a new one is made. */
export const KEEP_SET_ASIDE = 3;

/**
 * One JSON document in the state directory, written atomically (write to `<file>.tmp`, fsync,
 * rename over `<file>`), so a power cut leaves either the old or the new version, never half a
 * file. A failed write removes its `<file>.tmp`, so a full disk leaves no empty files behind.
 *
 * A file that is not JSON, or that `validate` rejects as a whole, is renamed to
 * `<file>.corrupt-<unix ms>` and reported, never a crash: the collector starts fresh for that
 * file and the user still has the bytes to inspect. Only the last {@link KEEP_SET_ASIDE} such
 * copies are kept. A validator that can drop a bad entry and keep the rest does so itself
 * (`validate` returns what it kept), so one bad entry never costs the good ones.
 *
 * Synchronous on purpose: state files are small (KiB to a few MiB), written at most once per
 * tick and on shutdown, and a synchronous write cannot interleave with another one.
 */
export class JsonFile<T, W = T> {
  readonly file: string;
  /** The file system calls it makes. */
  readonly fs: StateFs;
  readonly #name: string;
  readonly #serialize: (value: W) => string;

  /**
   * @param dir the state directory (created on first write)
   * @param name file name inside it, e.g. `energy.json`
   * @param validate returns the typed value or throws an Error saying what is wrong; gets the
   *   parsed JSON and the file's text
   * @param opts the file system calls (default `node:fs`) and how a value becomes the file's
   *   text (default `JSON.stringify`)
   */
  constructor(
    readonly dir: string,
    name: string,
    private readonly validate: (raw: unknown, text: string) => T,
    opts: JsonFileOptions<W> = {},
  ) {
    this.#name = name;
    this.file = path.join(dir, name);
    this.fs = opts.fs ?? nodeFs;
    this.#serialize = opts.serialize ?? ((v) => JSON.stringify(v));
  }

  /**
   * Reads and validates the file.
   * @param now ms since the epoch (the injected clock's `now()`), used to name a set-aside file
   * @returns missing, ok with the value, or corrupt with where the file was moved
   * @throws only when the file cannot be read (permissions) or a corrupt file cannot even be
   *   renamed (the directory is not writable)
   */
  read(now: number): ReadOutcome<T> {
    const { fs } = this;
    if (!fs.existsSync(this.file)) return { status: 'missing' };
    const text = fs.readFileSync(this.file, 'utf8');
    let reason: string;
    try {
      return { status: 'ok', value: this.validate(JSON.parse(text), text) };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    const setAside = `${this.file}.corrupt-${now}`;
    fs.renameSync(this.file, setAside);
    this.#prune();
    return { status: 'corrupt', setAside, reason };
  }

  /**
   * Replaces the file's content atomically.
   * @param value what `serialize` turns into the file's text
   * @throws the fs error (ENOSPC, EACCES, EROFS …) with the file named in its message; the
   *   file is then as it was, and no `<file>.tmp` is left
   */
  write(value: W): void {
    const { fs } = this;
    const tmp = `${this.file}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, this.#serialize(value));
      const fd = fs.openSync(tmp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Never created, or the file system refuses even that: nothing more to do.
      }
      throw this.#named(err, 'write');
    }
  }

  /**
   * Overwrites bytes of the file in place, without creating a file or growing this one: what
   * still works on a full disk, or in a directory that cannot be written while the file can.
   * @param prefix what the file must start with; `text` is written right after it
   * @param text ASCII, replacing as many bytes
   * @throws when the file does not start with `prefix` or cannot be written (EROFS …)
   */
  patch(prefix: string, text: string): void {
    const { fs } = this;
    try {
      const fd = fs.openSync(this.file, 'r+');
      try {
        const head = Buffer.alloc(prefix.length);
        fs.readSync(fd, head, 0, head.length, 0);
        if (head.toString('latin1') !== prefix) {
          throw new Error(`does not start with ${JSON.stringify(prefix)}`);
        }
        fs.writeSync(fd, text, prefix.length, 'latin1');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      throw this.#named(err, 'update');
    }
  }

  #named(err: unknown, what: string): Error {
    const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException;
    e.message = `cannot ${what} state file ${this.file}: ${e.message}; check that state.dir is writable and not full`;
    return e;
  }

  /** Deletes all but the newest {@link KEEP_SET_ASIDE} set-aside copies; best effort. */
  #prune(): void {
    const { fs } = this;
    const prefix = `${this.#name}.corrupt-`;
    try {
      const copies = fs
        .readdirSync(this.dir)
        .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
        .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
      for (const f of copies.slice(0, -KEEP_SET_ASIDE)) fs.unlinkSync(path.join(this.dir, f));
    } catch {
      // A copy that cannot be deleted is only clutter.
    }
  }
}
