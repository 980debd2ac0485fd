import { PlugError, PlugErrorCode } from '../../errors.js';

/** A decoded JSON object: the shape of every plug request, reply, module and result. */
export type Json = Record<string, unknown>;

/**
 * Whether a decoded JSON value is an object (not `null`, not an array).
 * @param v any decoded JSON value
 * @returns true for a plain object
 */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decodes a plug's reply body as one JSON object.
 * @param body the reply bytes (UTF-8 JSON, already decrypted)
 * @param target `host:port`, for messages
 * @param what what the body is, for messages (e.g. `"reply"`, `"get_device_info reply"`)
 * @returns the decoded object
 * @throws PlugError PLUG_BAD_JSON when the body is not JSON, or is JSON but not an object
 */
export function parseJsonObject(body: Buffer, target: string, what = 'reply'): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new PlugError(
      PlugErrorCode.BAD_JSON,
      target,
      `${what} is not JSON (${(err as Error).message})`,
      err,
    );
  }
  if (!isObject(parsed)) {
    throw new PlugError(PlugErrorCode.BAD_JSON, target, `${what} is JSON but not an object`);
  }
  return parsed;
}
