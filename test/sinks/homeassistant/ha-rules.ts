/** Home Assistant's discovery rules, shared by the unit and the real-broker tests. */

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/**
 * The rules of Home Assistant's MQTT discovery docs (device-based discovery; sensor, binary sensor and
 * switch platforms) that a config must meet or HA rejects or misfiles it; returns the broken ones.
 */
export function haProblems(payload: Json): string[] {
  const out: string[] = [];
  const dev = payload['dev'] as Json | undefined;
  const ids = dev?.['identifiers'] as unknown[] | undefined;
  const conns = dev?.['connections'] as unknown[] | undefined;
  if (!dev || !((ids?.length ?? 0) > 0 || (conns?.length ?? 0) > 0))
    out.push('dev needs identifiers or connections');
  if (typeof (payload['o'] as Json | undefined)?.['name'] !== 'string') out.push('o needs name');
  const cmps = payload['cmps'] as Record<string, Json> | undefined;
  if (!cmps || Object.keys(cmps).length === 0) out.push('cmps must not be empty');
  const uids = new Set<unknown>();
  for (const [key, c] of Object.entries(cmps ?? {})) {
    if (typeof c['p'] !== 'string') out.push(`${key}: p is required`);
    if (typeof c['unique_id'] !== 'string') out.push(`${key}: unique_id is required`);
    if (uids.has(c['unique_id'])) out.push(`${key}: unique_id repeated`);
    uids.add(c['unique_id']);
    if ((c['p'] === 'sensor' || c['p'] === 'binary_sensor') && typeof c['state_topic'] !== 'string')
      out.push(`${key}: state_topic`);
    if (c['device_class'] === 'energy') {
      if (!['kWh', 'Wh', 'MWh'].includes(c['unit_of_measurement'] as string))
        out.push(`${key}: energy needs kWh/Wh`);
      if (!['total', 'total_increasing'].includes(c['state_class'] as string))
        out.push(`${key}: energy needs state_class total or total_increasing`);
    }
    if (c['p'] === 'sensor' && c['device_class'] === 'power' && c['unit_of_measurement'] !== 'W')
      out.push(`${key}: W`);
    if (c['p'] === 'switch' && typeof c['command_topic'] !== 'string')
      out.push(`${key}: switch needs command_topic`);
  }
  if (payload['availability_mode'] === 'all' && !Array.isArray(payload['availability']))
    out.push('availability_mode without availability list');
  return out;
}
