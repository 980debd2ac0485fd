/**
 * Relay command payloads, parsed (pure). What users already send: zigbee2mqtt's `ON`/`OFF`/
 * `TOGGLE` and `{"state":"ON"}` (zigbee2mqtt's "MQTT Topics and Messages" guide), Tasmota's
 * `POWER ON|OFF|TOGGLE` words (Tasmota's Commands docs, tasmota.github.io/docs/Commands/).
 */

import type { RelayAction } from '../sink.js';

/** Longer payloads are not commands; they are refused before parsing. */
export const MAX_COMMAND_BYTES = 256;

const ACTIONS: readonly string[] = ['ON', 'OFF', 'TOGGLE'];

function asAction(v: unknown): RelayAction | undefined {
  if (typeof v !== 'string') return undefined;
  const word = v.trim().toUpperCase();
  return ACTIONS.includes(word) ? (word as RelayAction) : undefined;
}

/**
 * @param payload the message text, e.g. `on`, ` TOGGLE `, `{"state":"off"}` (case-insensitive)
 * @returns the action, or undefined for anything else (empty, unknown word, other JSON)
 */
export function parseRelayAction(payload: string): RelayAction | undefined {
  if (payload.length > MAX_COMMAND_BYTES) return undefined;
  const text = payload.trim();
  if (!text.startsWith('{')) return asAction(text);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return asAction((parsed as Record<string, unknown>)['state']);
  } catch {
    return undefined;
  }
}
