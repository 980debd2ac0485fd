/**
 * One compact line per reading for the demo, from the JSON state topic `<prefix>/<name>` (or a
 * strip outlet's `<prefix>/<strip>/<outlet>`):
 * `12:00:10 fridge                 ON   85.20 W  231.4 V  0.436 A  41.37215 kWh  -52 dBm`.
 * @param topic the MQTT topic
 * @param payload its text
 * @param prefix `mqtt.topicPrefix`
 * @returns the line, or `undefined` for other topics (bridge state, non-JSON)
 */
export function formatLine(topic: string, payload: string, prefix: string): string | undefined {
  const name = topic.slice(prefix.length + 1);
  const levels = name.split('/');
  if (!topic.startsWith(`${prefix}/`) || levels.length > 2 || levels[0] === 'bridge')
    return undefined;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // Only reading states carry `time` (not `<name>/info`, nor a per-field value).
  if (typeof r !== 'object' || r === null || typeof r['time'] !== 'number') return undefined;
  const num = (k: string, digits: number, unit: string, width: number): string =>
    (typeof r[k] === 'number'
      ? `${(r[k] as number).toFixed(digits)} ${unit}`
      : `- ${unit}`
    ).padStart(width);
  const time =
    typeof r['time'] === 'number'
      ? new Date(r['time'] * 1000).toISOString().slice(11, 19)
      : '--:--:--';
  return [
    time,
    name.padEnd(22),
    String(r['state'] ?? '-').padEnd(3),
    num('power', 2, 'W', 10),
    num('voltage', 1, 'V', 8),
    num('current', 3, 'A', 8),
    num('energy', 5, 'kWh', 13),
    num('rssi', 0, 'dBm', 8),
  ].join(' ');
}
