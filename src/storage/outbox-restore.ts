/**
 * Restoring an outbox from its file at start (the writing is `outbox-file.ts`'s): read and
 * validate the document, set a corrupt one aside, drop bad items alone, and make sure the
 * delivery of what is restored can be recorded before anything is handed back for sending.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { JsonFile } from './json-file.js';
import { DELIVERED_PREFIX, deliveredField, type ParsedOutbox } from './outbox-document.js';

/** Bad items named in the warning of one load; the rest are counted. */
const MAX_DROP_REASONS = 3;

/** What `OutboxFile.read` found; it never throws. */
export interface OutboxFileRead<T> {
  /**
   * The items to send, oldest first; empty when the file is missing, corrupt, unreadable, or
   * cannot be written (then their delivery could not be recorded: see `OutboxFile.read`).
   */
  items: T[];
  /** Where a corrupt or truncated file was moved to (`<file>.corrupt-<unix ms>`). */
  setAside?: string;
  /** Bad items left out. */
  dropped?: number;
  /** Items left in the file unsent because the file cannot be written. */
  heldBack?: number;
}

/** What the file holds after a successful restore. */
export interface RestoredFile {
  /** Undelivered items in the file: the sequence range `[0, items)`. */
  items: number;
  /** Items at the file's head already marked delivered in it. */
  marked: number;
}

/** What {@link restoreOutbox} needs besides the file. */
export interface RestoreContext {
  log: Logger;
  /** What the logs call the outbox, e.g. `MQTT outbox`. */
  label: string;
  clock: Clock;
}

/**
 * Reads and validates an outbox file. A file that is not an outbox (bad JSON, wrong version) is
 * set aside whole and reported at warn; a bad item is dropped alone (one warning per load); an
 * unreadable file is reported at error. Restored items are returned only when their delivery
 * can be recorded in the file (see `recordable`); otherwise they are left in it, unsent, with a
 * warning. Never throws.
 * @param json the outbox's file
 * @param ctx logger, label and clock (the clock names a set-aside copy)
 * @returns what to send, and what the file now holds when items were restored
 */
export function restoreOutbox<T>(
  json: JsonFile<ParsedOutbox<T>, readonly T[]>,
  ctx: RestoreContext,
): { read: OutboxFileRead<T>; restored?: RestoredFile } {
  const { file } = json;
  const { label, log } = ctx;
  let outcome: ReturnType<JsonFile<ParsedOutbox<T>, readonly T[]>['read']>;
  try {
    outcome = json.read(ctx.clock.now());
  } catch (err) {
    log.error({ err, file }, `${label}: cannot read ${file}; starting empty`);
    return { read: { items: [] } };
  }
  if (outcome.status === 'missing') return { read: { items: [] } };
  if (outcome.status === 'corrupt') {
    const { setAside, reason } = outcome;
    log.warn(
      { file, setAside, reason },
      `${label}: ${file} is corrupt (${reason}); set aside as ${setAside}, starting empty`,
    );
    return { read: { items: [], setAside } };
  }
  const parsed = outcome.value;
  const { items, dropped } = parsed;
  if (dropped.length > 0) {
    const reasons = dropped
      .slice(0, MAX_DROP_REASONS)
      .map((d) => `#${d.index}: ${d.reason}`)
      .join('; ');
    log.warn(
      { file, dropped: dropped.length, kept: items.length },
      `${label}: ${dropped.length} bad items in ${file} dropped (${reasons}); the other ${items.length} kept`,
    );
  }
  if (items.length === 0) {
    forget(json);
    return { read: { items: [], dropped: dropped.length } };
  }
  const marked = recordable(json, parsed);
  if (marked instanceof Error) {
    log.warn(
      { file, err: marked, heldBack: items.length },
      `${label}: the ${items.length} items restored from ${file} are not sent: the file ` +
        'cannot be written, so their delivery could not be recorded and they would be sent ' +
        'again at every start; make state.dir writable',
    );
    return { read: { items: [], dropped: dropped.length, heldBack: items.length } };
  }
  return { read: { items, dropped: dropped.length }, restored: { items: items.length, marked } };
}

/** Best effort: a file whose items were all dropped is emptied, so they are not read again. */
function forget<T>(json: JsonFile<ParsedOutbox<T>, readonly T[]>): void {
  try {
    json.write([]);
  } catch {
    // They are dropped again at the next start: no harm.
  }
}

/**
 * Makes sure deliveries of the restored items can be recorded: the delivered count is
 * rewritten in place as it stands (a file of an earlier release, or one with bad items, is
 * rewritten whole instead).
 * @returns the items marked delivered at the file's head, or the error when neither works
 */
function recordable<T>(
  json: JsonFile<ParsedOutbox<T>, readonly T[]>,
  parsed: ParsedOutbox<T>,
): number | Error {
  if (parsed.markable && parsed.dropped.length === 0) {
    try {
      json.patch(DELIVERED_PREFIX, deliveredField(parsed.delivered));
      return parsed.delivered;
    } catch {
      // The directory may still be writable: try a whole write.
    }
  }
  try {
    json.write(parsed.items);
    return 0;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
