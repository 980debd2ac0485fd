/**
 * Discovery on UDP 20002, the newer plugs' answer to "who are you" (python-kasa
 * `kasa/discover.py`, `_AesDiscoveryQuery` and `_get_discovery_json`). Pure codec, no I/O.
 *
 * A datagram is a 16-byte header and a JSON body. Header, big-endian: version (2), message type
 * (0), op code (1: probe), body length (uint16), flags (17), a zero byte, a random 4-byte serial,
 * and a CRC-32 of the whole datagram computed with the CRC field holding 0x5A6B7C8D, then written
 * over it (python-kasa credits withsecure's TP-Link AC1750 advisory for the format). The probe's
 * body carries the client's RSA public key, `{"params":{"rsa_key":"<PEM>"}}`: newer firmware
 * encrypts part of its answer (`encrypt_info`) to it. The answer is the same header and
 * `{"error_code":0,"result":{"device_type","device_model","mac","mgt_encrypt_schm":{
 * "encrypt_type":"KLAP"|"AES","http_port":80,"is_support_https":false,"lv":2},…}}`.
 */

/** Header bytes before the JSON. */
export const TDP_HEADER_BYTES = 16;
/** The UDP port newer plugs answer discovery on. */
export const TDP_PORT = 20002;
const CRC_PLACEHOLDER = 0x5a6b7c8d;

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zlib one) of `data`. */
export function crc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Builds one datagram: header with its CRC, then `body`.
 * @param body JSON text
 * @param serial the 4-byte serial (random per probe)
 * @param opCode 1 for a probe (python-kasa); answers use the same layout
 */
export function encodeTdp(body: string, serial: number, opCode = 1): Buffer {
  const json = Buffer.from(body, 'utf8');
  const out = Buffer.alloc(TDP_HEADER_BYTES + json.length);
  out.writeUInt8(2, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16BE(opCode, 2);
  out.writeUInt16BE(json.length, 4);
  out.writeUInt8(17, 6);
  out.writeUInt8(0, 7);
  out.writeUInt32BE(serial >>> 0, 8);
  out.writeUInt32BE(CRC_PLACEHOLDER, 12);
  json.copy(out, TDP_HEADER_BYTES);
  out.writeUInt32BE(crc32(out), 12);
  return out;
}

/**
 * The probe python-kasa sends: `{"params":{"rsa_key":"<PEM>"}}`.
 * @param publicPem the client's RSA public key, PEM
 * @param serial random 4 bytes
 */
export function probeDatagram(publicPem: string, serial: number): Buffer {
  return encodeTdp(JSON.stringify({ params: { rsa_key: publicPem } }), serial);
}

/**
 * The JSON body of a datagram (python-kasa skips the header without checking it).
 * @throws Error when the datagram is shorter than the header or the body is not a JSON object
 */
export function decodeTdp(datagram: Uint8Array): Record<string, unknown> {
  if (datagram.length <= TDP_HEADER_BYTES) {
    throw new Error(`datagram of ${datagram.length} bytes has no body after the 16-byte header`);
  }
  const parsed: unknown = JSON.parse(
    Buffer.from(datagram.subarray(TDP_HEADER_BYTES)).toString('utf8'),
  );
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('discovery body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
