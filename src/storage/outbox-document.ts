/**
 * The outbox file's format, pure: `{"version":1,"delivered":<n>,"items":[...]}`, oldest item
 * first. `delivered` counts the items at the head of `items` that were delivered after the file
 * was written: it is written padded to a fixed width right after a fixed prefix, so it can be
 * updated in place (`JsonFile.patch`) when the file cannot be rewritten (a full disk, a
 * read-only directory). JSON allows the padding: it is whitespace before a number.
 */

/** Version of the outbox file format. */
export const OUTBOX_VERSION = 1;

/** What every outbox file starts with; the delivered count follows it. */
export const DELIVERED_PREFIX = `{"version":${OUTBOX_VERSION},"delivered":`;

/** Characters the delivered count takes (space-padded on the left). */
export const DELIVERED_WIDTH = 12;

/** The delivered count as written in the file: right-aligned in {@link DELIVERED_WIDTH}. */
export function deliveredField(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || String(n).length > DELIVERED_WIDTH) {
    throw new RangeError(`delivered count ${n} does not fit the outbox file`);
  }
  return String(n).padStart(DELIVERED_WIDTH, ' ');
}

/**
 * The file's text for `items`, none delivered yet.
 * @param items JSON-serializable items, oldest first
 */
export function serializeOutbox(items: readonly unknown[]): string {
  return `${DELIVERED_PREFIX}${deliveredField(0)},"items":${JSON.stringify(items)}}`;
}

/** What {@link parseOutbox} found. */
export interface ParsedOutbox<T> {
  /** The undelivered items that passed the check, oldest first. */
  items: T[];
  /** Items at the head of the file marked delivered (skipped). */
  delivered: number;
  /** Items that failed the check, by their position in the file. */
  dropped: { index: number; reason: string }[];
  /** The file has the in-place `delivered` field (files of earlier releases do not). */
  markable: boolean;
}

/**
 * Checks a parsed file item by item: delivered items are skipped, a bad item is dropped and
 * reported, the others are kept.
 * @param raw `JSON.parse` of the file
 * @param validateItem returns one item typed, or throws saying what is wrong
 * @param text the file's text, to tell whether `delivered` can be updated in place
 * @throws Error when the document itself is wrong (not an outbox of this version, `items` not
 *   an array, `delivered` not a count): the file is then set aside
 */
export function parseOutbox<T>(
  raw: unknown,
  validateItem: (raw: unknown) => T,
  text?: string,
): ParsedOutbox<T> {
  const doc = raw as { version?: unknown; items?: unknown; delivered?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || doc.version !== OUTBOX_VERSION) {
    throw new Error(`not an outbox file of version ${OUTBOX_VERSION}`);
  }
  if (!Array.isArray(doc.items)) throw new Error('"items" is not an array');
  const delivered = doc.delivered ?? 0;
  if (typeof delivered !== 'number' || !Number.isSafeInteger(delivered) || delivered < 0) {
    throw new Error(`"delivered" is ${JSON.stringify(delivered)}, not a count`);
  }
  const out: ParsedOutbox<T> = {
    items: [],
    delivered: Math.min(delivered, doc.items.length),
    dropped: [],
    markable: text === undefined || text.startsWith(DELIVERED_PREFIX),
  };
  doc.items.forEach((item: unknown, index) => {
    if (index < out.delivered) return;
    try {
      out.items.push(validateItem(item));
    } catch (err) {
      out.dropped.push({ index, reason: (err as Error).message });
    }
  });
  return out;
}
