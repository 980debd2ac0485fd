/**
 * `kasa-collector decode HEX|BASE64 [--udp]`: decrypts a captured payload, the job of the classic
 * client's Wireshark dissector (softScheck/tplink-smartplug `tplink-smarthome.lua`). A TCP
 * payload starts with the 4-byte big-endian plaintext length (docs/protocol.md#tcp-framing),
 * which is checked against what follows; a UDP payload is ciphertext only.
 */
import { ConfigError } from '../errors.js';
import { HEADER_BYTES, decrypt, readFrameLength } from '../kasa/transport/xor-cipher.js';

/** How the payload was written. */
export type PayloadEncoding = 'hex' | 'base64';

/**
 * Reads a payload as typed or pasted. Hex wins when the text could be both (only hex digits, an
 * even count): Wireshark's "Copy as Hex Stream" is the common source. Whitespace, `:` separators
 * (hex) and a leading `0x` are ignored; base64 may be the URL-safe alphabet.
 * @param text e.g. `0000001dd0f2…` or `AAAAHdDy…`
 * @returns the bytes and which encoding was recognized
 * @throws ConfigError when the text is empty or neither hex nor base64
 */
export function parsePayload(text: string): { bytes: Buffer; encoding: PayloadEncoding } {
  const compact = text.replace(/\s+/g, '');
  const hex = compact.replace(/^0x/i, '').replace(/:/g, '');
  if (hex.length > 0 && hex.length % 2 === 0 && /^[0-9a-f]+$/i.test(hex)) {
    return { bytes: Buffer.from(hex, 'hex'), encoding: 'hex' };
  }
  if (compact.length % 4 !== 1 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
    return { bytes: Buffer.from(compact, 'base64'), encoding: 'base64' };
  }
  throw new ConfigError(
    compact === ''
      ? 'decode: no payload given'
      : `decode: "${compact.slice(0, 24)}${compact.length > 24 ? '…' : ''}" is neither hex nor base64`,
  );
}

/**
 * Decrypts a payload, TCP form (length prefix + ciphertext) or UDP form (ciphertext only). Pure.
 *
 * TCP form: a prefix that does not match the bytes that follow is reported, and as much as can
 * be is still decrypted: an all-zero prefix (old clients, softScheck/tplink-smartplug#44) or one
 * larger than what follows (a truncated capture) → everything after it; a smaller one → that many
 * bytes (the rest is another frame or trailing bytes).
 * @param bytes the captured payload
 * @param udp true for the UDP form
 * @returns the plaintext bytes and notes on what did not validate (empty when all is well)
 */
export function decodePayload(bytes: Buffer, udp: boolean): { plaintext: Buffer; notes: string[] } {
  const notes: string[] = [];
  const tcpLooking =
    bytes.length > HEADER_BYTES && readFrameLength(bytes) === bytes.length - HEADER_BYTES;
  if (udp) {
    const plaintext = decrypt(bytes);
    if (tcpLooking && !isJson(plaintext)) {
      notes.push('its first 4 bytes are a matching TCP length prefix: try without --udp');
    }
    return { plaintext, notes };
  }
  const asUdp = isJson(decrypt(bytes)) ? ': it decrypts as a UDP payload, try --udp' : '';
  if (bytes.length < HEADER_BYTES) {
    notes.push(`${bytes.length} bytes: too short for the TCP form's 4-byte length prefix${asUdp}`);
    return { plaintext: Buffer.alloc(0), notes };
  }
  const announced = readFrameLength(bytes);
  const body = bytes.subarray(HEADER_BYTES);
  let n = body.length;
  if (announced !== body.length) {
    let why = '';
    if (announced === 0) why = ' (the all-zero prefix of old clients; current firmware rejects it)';
    else if (announced > body.length)
      why = ' (a truncated capture, or TCP segments not reassembled)';
    else {
      why = ` (the ${body.length - announced} bytes after them are not decoded)`;
      n = announced;
    }
    notes.push(`length prefix says ${announced} bytes, but ${body.length} follow${why}${asUdp}`);
  }
  return { plaintext: decrypt(body.subarray(0, n)), notes };
}

function isJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Control characters of a non-JSON plaintext are shown as `\xNN`, never sent to the terminal raw. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * Decodes one captured payload and prints its plaintext: pretty-printed when it is JSON, else as
 * text with control characters escaped.
 * @param payload hex or base64 (see {@link parsePayload}), or `-` to read it from `stdin`
 * @param opts `udp`: the payload has no length prefix
 * @param out the plaintext (stdout)
 * @param err notes on what did not validate (stderr)
 * @param stdin read when `payload` is `-`
 * @returns 0 when the payload validates and its plaintext is JSON; 1 when a note was written
 *   (length prefix mismatch, plaintext not JSON), the plaintext being printed all the same
 * @throws ConfigError when the payload is neither hex nor base64
 */
export async function decodeCommand(
  payload: string,
  opts: { udp?: boolean },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  const text = payload === '-' ? await readAll(stdin) : payload;
  const { bytes } = parsePayload(text);
  const { plaintext, notes } = decodePayload(bytes, opts.udp === true);
  const str = plaintext.toString('utf8');
  let parsed: unknown;
  let json = false;
  try {
    parsed = JSON.parse(str);
    json = true;
  } catch {
    if (plaintext.length > 0)
      notes.push('the plaintext is not JSON (wrong form, or not this protocol?)');
  }
  if (json) out.write(`${JSON.stringify(parsed, null, 2)}\n`);
  else if (plaintext.length > 0) out.write(`${printable(str)}\n`);
  for (const note of notes) err.write(`decode: ${note}\n`);
  return notes.length === 0 ? 0 : 1;
}
